// A labelled box with its hint, or the message about what is wrong with it, underneath: the
// same in every form and dialog.

import type { ReactNode } from "react";

/// A labelled box with its hint, or the message about it, underneath.
export function FormField({
  id,
  label,
  required = false,
  error,
  hint,
  errorTestId,
  className,
  children,
}: {
  id: string;
  label: string;
  /// Marked with `*`.
  required?: boolean;
  error?: string | null;
  hint?: string | null;
  errorTestId?: string;
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className={`form-field ${className ?? ""}`}>
      <label htmlFor={id}>
        {label}
        {required && <span className="req"> *</span>}
      </label>
      {children}
      {hint && !error && <span className="muted small">{hint}</span>}
      {error && (
        <span className="field-error" role="alert" data-testid={errorTestId}>
          {error}
        </span>
      )}
    </div>
  );
}
