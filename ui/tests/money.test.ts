import { describe, expect, test } from "vitest";
import { formatDate, formatMoney, localDate, moneyInput, parseMoney } from "../src/i18n";

describe("money and dates", () => {
  test("amounts typed by people become integer minor units without floats", () => {
    expect(parseMoney("12,500.50")).toBe(1_250_050);
    expect(parseMoney("0.1")).toBe(10);
    expect(parseMoney("0.29")).toBe(29); // 0.29 * 100 is 28.999999999999996 in floating point
    expect(parseMoney("¥ 88")).toBe(8_800);
    expect(parseMoney("1，000")).toBe(100_000);
    expect(parseMoney("")).toBeNull();
    expect(parseMoney("12.345")).toBeNull();
    expect(parseMoney("-5")).toBeNull();
    expect(parseMoney("abc")).toBeNull();
    expect(parseMoney("99999999999999999999")).toBeNull();
  });

  test("minor units are shown for the locale and round-trip through the edit form", () => {
    expect(formatMoney("zh-CN", { minor: 1_250_050, currency: "CNY" })).toBe("¥12,500.50");
    expect(formatMoney("en", { minor: 5, currency: "USD" })).toBe("$0.05");
    expect(formatMoney("en", { minor: 1234, currency: "JPY" })).toBe("¥1,234");
    expect(formatMoney("en", { minor: -1999, currency: "USD" })).toBe("-$19.99");
    expect(moneyInput({ minor: 1_250_050, currency: "CNY" })).toBe("12500.50");
    expect(parseMoney(moneyInput({ minor: 29, currency: "CNY" }))).toBe(29);
  });

  test("calendar dates are not shifted by time zones", () => {
    expect(formatDate("en", "2026-11-29")).toBe("Nov 29, 2026");
    expect(formatDate("zh-CN", "2026-11-29")).toBe("2026年11月29日");
    expect(localDate(7, new Date(2026, 11, 28, 23, 30))).toBe("2027-01-04");
  });
});
