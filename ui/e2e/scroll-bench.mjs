// Scrolling benchmark for the customer list: a device with N demo customers (default 10,000),
// the real UI in Chromium, scrolled from top to bottom by the wheel. Reports frame times and
// how long the list took to show its first page. Not part of the test suite; run by hand:
//
//     cargo build -p crm-core -p web-shell --bins && (cd ui && npm run build)
//     CRM_BENCH_CUSTOMERS=10000 node ui/e2e/scroll-bench.mjs
import { execFileSync } from "node:child_process";
import path from "node:path";
import { BIN, launchBrowser, startDevice, stopAll, tmpDir } from "./harness.mjs";

const customers = Number(process.env.CRM_BENCH_CUSTOMERS ?? 10000);
const data = tmpDir("scroll");
console.log(`generating ${customers} demo customers…`);
execFileSync(path.join(BIN, "crm"), ["--data", data, "demo", "--customers", String(customers), "--users", "3"], { stdio: "inherit" });
const device = await startDevice("scroll", { data });
const browser = await launchBrowser();
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "zh-CN" })).newPage();
  await page.goto(device.url);
  await page.evaluate(() => fetch("/api/dispatch", { method: "POST", body: JSON.stringify({ op: "use_locally" }) }));
  const t0 = Date.now();
  await page.goto(`${device.url}#/customers`);
  await page.reload();
  await page.locator('[data-testid="customer-list"] [role="listitem"]').first().waitFor({ timeout: 60_000 });
  const firstPage = Date.now() - t0;
  const list = page.getByTestId("customer-list");
  const box = await list.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.evaluate(() => {
    window.__frames = [];
    let last = performance.now();
    const tick = (now) => {
      window.__frames.push(now - last);
      last = now;
      if (!window.__stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const started = Date.now();
  let rows = 0;
  while (Date.now() - started < 20_000) {
    await page.mouse.wheel(0, 1600);
    await page.waitForTimeout(16);
    rows = await list.evaluate((el) => Math.round(el.scrollTop / 64));
  }
  const frames = await page.evaluate(() => ((window.__stop = true), window.__frames.slice(5)));
  frames.sort((a, b) => a - b);
  const q = (p) => frames[Math.min(frames.length - 1, Math.floor(p * frames.length))].toFixed(1);
  const loaded = await list.evaluate((el) => el.firstElementChild.style.height);
  console.log(`| customers | ${customers} |`);
  console.log(`| first page of the list shown | ${firstPage} ms |`);
  console.log(`| scrolled in 20 s by the wheel | ${rows} rows (list height ${loaded}) |`);
  console.log(`| frame time p50 / p95 / p99 / max | ${q(0.5)} / ${q(0.95)} / ${q(0.99)} / ${frames.at(-1).toFixed(1)} ms (${frames.length} frames) |`);
} finally {
  await browser.close();
  stopAll();
}
