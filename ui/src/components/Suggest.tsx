// A box that offers the choices matching what is typed and takes any text (a time zone, a
// currency, a team code).

import { AutoComplete } from "antd";

export function Suggest({
  id,
  value,
  choices,
  placeholder,
  error,
  onChange,
  testId = id,
}: {
  id: string;
  value: string;
  choices: string[];
  placeholder: string;
  error?: string;
  onChange: (v: string) => void;
  testId?: string;
}) {
  const typed = value.trim().toLowerCase();
  // At most 50 at a time: a browser knows some 400 time zones.
  const shown = (typed === "" ? choices : choices.filter((c) => c.toLowerCase().includes(typed))).slice(0, 50);
  return (
    <AutoComplete
      id={id}
      value={value}
      onChange={onChange}
      allowClear
      placeholder={placeholder}
      status={error ? "error" : undefined}
      options={shown.map((c) => ({ value: c, label: c, "data-value": c }))}
      virtual={false}
      data-testid={testId}
    />
  );
}
