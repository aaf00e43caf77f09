import { Button } from "antd";
import type { ReactNode } from "react";

/// A labelled row of big round choices, for a tablet held in one hand.
export function Chips({ legend, children, testId }: { legend: string; children: ReactNode; testId?: string }) {
  return (
    <fieldset className="chips" data-testid={testId}>
      <legend>{legend}</legend>
      {children}
    </fieldset>
  );
}

export function Chip({
  selected,
  onClick,
  testId,
  children,
}: {
  selected: boolean;
  onClick: () => void;
  testId?: string;
  children: ReactNode;
}) {
  return (
    <Button
      shape="round"
      size="large"
      type={selected ? "primary" : "default"}
      aria-pressed={selected}
      onClick={onClick}
      data-testid={testId}
      className="chip"
    >
      {children}
    </Button>
  );
}
