// A box that offers the choices matching what is typed and takes any text (a time zone, a
// currency, a team code, a document line's product or free-text name), each with words beside
// it where given.

import { AutoComplete } from "antd";

export function Suggest({
  id,
  value,
  choices,
  placeholder,
  error,
  onChange,
  onSelect,
  labels = {},
  testId = id,
  className,
  matched = false,
}: {
  id: string;
  value: string;
  choices: string[];
  placeholder: string;
  error?: string;
  onChange: (v: string) => void;
  /// A choice was picked from the list (not typed): e.g. a product chosen by its code.
  onSelect?: (choice: string) => void;
  /// Words shown beside a choice (a team's name by its code), matched as typed too.
  labels?: Record<string, string>;
  testId?: string;
  className?: string;
  /// The choices are already those matching what was typed (found by the core): shown as given.
  matched?: boolean;
}) {
  const typed = value.trim().toLowerCase();
  const label = (c: string) => (labels[c] ? `${c} · ${labels[c]}` : c);
  // At most 50 at a time: a browser knows some 400 time zones.
  const shown = (typed === "" || matched ? choices : choices.filter((c) => label(c).toLowerCase().includes(typed))).slice(0, 50);
  return (
    <AutoComplete
      id={id}
      value={value}
      onChange={onChange}
      onSelect={onSelect ? (v: string) => onSelect(v) : undefined}
      className={className}
      allowClear
      placeholder={placeholder}
      status={error ? "error" : undefined}
      options={shown.map((c) => ({ value: c, label: label(c), "data-value": c }))}
      virtual={false}
      data-testid={testId}
    />
  );
}
