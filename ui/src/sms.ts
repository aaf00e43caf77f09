// A text message's length as the phone network bills it. Messages here are sent as UCS-2
// (Chinese needs it): 70 characters fit one message; a longer one is split into parts of 67,
// each carrying a header that joins them again on the phone.

/// The most characters a text message may have (the core refuses more: `too_long`).
export const SMS_MAX_CHARS = 500;

const SINGLE = 70;
const PART = 67;

/// How a text measures: characters as the core counts them (`chars`) and the messages the
/// network sends it as (`segments`, 0 for an empty text).
export interface SmsLength {
  chars: number;
  segments: number;
}

export function smsLength(text: string): SmsLength {
  const chars = [...text].length;
  // UCS-2 counts 16-bit units: a character outside the basic plane (an emoji) takes two.
  const units = text.length;
  const segments = units === 0 ? 0 : units <= SINGLE ? 1 : Math.ceil(units / PART);
  return { chars, segments };
}
