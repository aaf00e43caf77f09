import { describe, expect, test } from "vitest";
import { CrmError } from "../src/api";
import { errorText } from "../src/errors";
import { translate } from "../src/i18n";
import type { Lang, T } from "../src/i18n";

const tr = (lang: Lang): T => (key, params) => translate(lang, key, params);
const refused = (params: object | null) => new CrmError("sign_in_refused", "refused", params as never);

describe("sign-in refusals", () => {
  test("a wrong password or disabled account says so in both languages", () => {
    expect(errorText(tr("zh-CN"), refused({ reason: "login_failed" }))).toBe("用户名或密码不正确，或账号已停用。");
    expect(errorText(tr("en"), refused({ reason: "login_failed" }))).toBe("Wrong username or password, or the account is disabled.");
  });

  test("too many attempts names the wait in whole minutes, rounded up", () => {
    expect(errorText(tr("zh-CN"), refused({ reason: "too_many_attempts", retry_after_secs: 125 }))).toBe("登录尝试次数过多，请 3 分钟后再试。");
    expect(errorText(tr("en"), refused({ reason: "too_many_attempts", retry_after_secs: 20 }))).toBe("Too many sign-in attempts. Try again in 1 min.");
    // A missing or absurd wait still reads as a sentence.
    expect(errorText(tr("zh-CN"), refused({ reason: "too_many_attempts", retry_after_secs: "soon" }))).toBe("登录尝试次数过多，请 1 分钟后再试。");
  });

  test("an unknown reason, or none, falls back to the general refusal", () => {
    const general = translate("zh-CN", "error.sign_in_refused");
    expect(errorText(tr("zh-CN"), refused({ reason: "from_the_future" }))).toBe(general);
    expect(errorText(tr("zh-CN"), refused(null))).toBe(general);
  });
});
