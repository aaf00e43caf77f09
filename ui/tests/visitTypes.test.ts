import { describe, expect, test } from "vitest";
import { CrmError } from "../src/api";
import { errorText } from "../src/errors";
import { messages } from "../src/i18n";
import { actionsField, actionsFrom, actionsSummary, newAction } from "../src/screens/visits/visitTypes";

const t = (key: string, params: Record<string, unknown> = {}) =>
  String((messages["zh-CN"] as Record<string, string>)[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => String(params[k] ?? ""));

describe("a visit type's actions", () => {
  test("read from the record, written back in order with their ids; a photo count only on photos", () => {
    const read = actionsFrom({
      actions: [
        { id: "a0", action: "check_in", required: true },
        { id: "a1", action: "photos", required: true, min: 2 },
        { id: "a9", action: "dance", required: true },
        { id: "a2", action: "check_out", required: false },
      ],
    });
    expect(read.map((a) => a.action)).toEqual(["check_in", "photos", "check_out"]);
    const stock = { ...newAction("stock_count"), required: true };
    expect(actionsField([read[0], read[1], stock, read[2]])).toEqual([
      { id: "a0", action: "check_in", required: true },
      { id: "a1", action: "photos", required: true, min: 2 },
      { action: "stock_count", required: true },
      { id: "a2", action: "check_out", required: false },
    ]);
    expect(actionsSummary(t, read)).toBe("签到*、照片（2 张）*、签退");
  });

  test("a refused check-out names the missing steps in words, not codes", () => {
    const e = new CrmError("visit_incomplete", "…", { missing: ["photos", "stock_count"] });
    expect(errorText(t, e)).toBe("这类拜访签退前还需完成：拍照、盘点库存");
  });
});
