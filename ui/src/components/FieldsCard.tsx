import { Card } from "antd";
import type { ReactNode } from "react";
import { useCrm } from "../state";

/// The "Fields" card of a record page: a row for each field that has a value, in the order
/// given, labelled `field.<name>`, then any rows of the page's own (its custom values).
export function FieldsCard(props: {
  rows: [string, ReactNode][];
  /// Fields whose values are long text, kept as written (class `notes`). Without it no value
  /// carries a class.
  long?: readonly string[];
  /// Rows after the fields, inside the same list.
  children?: ReactNode;
}) {
  const { t } = useCrm();
  const { long } = props;
  return (
    <Card title={t("detail.fields")}>
      <dl className="fields">
        {props.rows.map(([field, value]) =>
          value ? (
            <div key={field} className="field-row" data-field={field}>
              <dt>{t(`field.${field}`)}</dt>
              <dd className={long && (long.includes(field) ? "notes" : "")}>{value}</dd>
            </div>
          ) : null,
        )}
        {props.children}
      </dl>
    </Card>
  );
}
