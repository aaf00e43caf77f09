// scratch (not committed)
import { dispatch, eventually, screenshot, signedInDevice, startServer, launchBrowser, stopAll } from "./harness.mjs";
const server = await startServer({ customers: 5 });
const browser = await launchBrowser();
try {
  const sales = await signedInDevice(browser, server.url, "wangfang", "dbg-sales");
  const page = sales.page;
  page.on("console", (m) => console.log("console:", m.type(), m.text()));
  const c = (await dispatch(sales.device, { op: "list", kind: "customer", limit: 1 })).items[0];
  const k = await dispatch(sales.device, { op: "create", kind: "contract", fields: { customer: c.id, lines: [{ name: "x", quantity: 1, unit_price: 570000 }] } });
  await page.goto(`${sales.device.url}#/sales/contract/${k.id}`);
  await page.getByTestId("plan-edit").click();
  await page.getByTestId("plan-add").click();
  const period = (row) => page.locator(`[data-testid="plan-row"][data-row="${row}"]`);
  await page.getByTestId("plan-add").click();
  async function pickDate(opener, date, months) {
    await opener.click();
    const panel = page.locator(".ant-picker-dropdown:not(.ant-picker-dropdown-hidden)");
    console.log("panels", await panel.count());
    await panel.waitFor({ timeout: 5000 });
    for (let i = 0; i < Math.abs(months); i++) await panel.locator(months < 0 ? ".ant-picker-header-prev-btn" : ".ant-picker-header-next-btn").click();
    await panel.locator(`td[title="${date}"]`).click();
  }
  await pickDate(period(0).getByTestId("plan-due"), "2026-10-15", -1);
  console.log("0 done", await period(0).getByTestId("plan-due").inputValue());
  await pickDate(period(1).getByTestId("plan-due"), "2026-12-15", 1).catch((e) => console.log(String(e).slice(0, 300)));
  await screenshot(page, "dbg-2");
} finally {
  await browser.close();
  stopAll();
}
