import type { ReactNode } from "react";
import { Link } from "react-router-dom";

/// A row's main part: a link to the record's form when this person may edit it.
export function RowMain({ to, children }: { to?: string; children: ReactNode }) {
  return to ? (
    <Link className="row-main" to={to}>
      {children}
    </Link>
  ) : (
    <span className="row-main">{children}</span>
  );
}
