import { describe, expect, test } from "vitest";
import { smsLength } from "../src/sms";

describe("a text message's length", () => {
  test("an empty text is no message", () => {
    expect(smsLength("")).toEqual({ chars: 0, segments: 0 });
  });

  test("up to 70 characters go as one message", () => {
    expect(smsLength("王经理您好，样机已到，明天上午方便试机吗？")).toEqual({ chars: 21, segments: 1 });
    expect(smsLength("好".repeat(70))).toEqual({ chars: 70, segments: 1 });
  });

  test("one character more splits it into parts of 67", () => {
    expect(smsLength("好".repeat(71)).segments).toBe(2);
    expect(smsLength("好".repeat(134)).segments).toBe(2);
    expect(smsLength("好".repeat(135)).segments).toBe(3);
    expect(smsLength("好".repeat(500))).toEqual({ chars: 500, segments: 8 });
  });

  test("an emoji is one character to the person but two units to the network", () => {
    const text = "好".repeat(68) + "👍";
    expect(smsLength(text)).toEqual({ chars: 69, segments: 1 });
    expect(smsLength(text + "好").segments).toBe(2);
  });
});
