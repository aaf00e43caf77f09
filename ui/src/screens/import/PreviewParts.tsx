// The parts of an import's preview: each column and what it goes into, how rows find records
// already here, and the rows by what would happen to them — refused ones with every reason,
// named by the spreadsheet's own headers.

import { Checkbox, Radio, Segmented, Select } from "antd";
import { useMemo, useState } from "react";
import { Link } from "react-router-dom";
import type { ImportAction, ImportPlanRow, ImportPolicy, ImportPreview } from "../../api";
import { customLabel } from "../../customFields";
import { useCrm, useCustomFields } from "../../state";
import { fieldLabel } from "../records/FieldInput";
import { describeError, recordPath, rowNote, rowsOf, targetGroup, targetLabel } from "./model";
import type { CustomLabels } from "./model";

/// The kind's custom fields' labels in the language, by key (import targets `custom_fields.KEY`).
function useCustomLabels(kind: string): CustomLabels {
  const { lang } = useCrm();
  const fields = useCustomFields(kind);
  return useMemo(() => Object.fromEntries(fields.map((f) => [f.key, customLabel(lang, f)])), [fields, lang]);
}

/// Rows listed per action; the counts cover the whole file.
const SHOWN_ROWS = 100;
const ACTIONS: ImportAction[] = ["reject", "create", "update", "skip"];
const POLICIES: ImportPolicy[] = ["skip", "update", "create"];

/// Each column: its header, its first values, and a select of what it goes into.
export function ColumnMapping({
  preview,
  columns,
  disabled,
  onChange,
}: {
  preview: ImportPreview;
  columns: (string | null)[];
  disabled: boolean;
  onChange: (columns: (string | null)[]) => void;
}) {
  const { t } = useCrm();
  const custom = useCustomLabels(preview.kind);
  const groups = new Map<number, string[]>();
  for (const target of preview.targets) groups.set(targetGroup(target), [...(groups.get(targetGroup(target)) ?? []), target]);
  const options = [
    { value: "", label: t("import.leave_out"), "data-value": "" },
    ...[...groups.entries()].map(([n, targets]) => ({
      label: n === 0 ? t(`kind.${preview.kind}`) : t("import.contact_n", { n }),
      options: targets.map((target) => ({ value: target, label: targetLabel(t, preview.kind, target, custom), "data-value": target })),
    })),
  ];
  return (
    <>
      <p className="muted">{t("import.columns_hint")}</p>
      <ul className="import-columns" data-testid="import-columns">
        {preview.columns.map((c, i) => {
          const header = c.header || t("import.no_header", { n: i + 1 });
          const target = columns[i] ?? null;
          return (
            <li key={i} className={target ? "import-column" : "import-column left-out"} data-testid="import-column" data-header={c.header} data-target={target ?? ""}>
              <div className="import-column-head">
                <strong>{header}</strong>
                <span className="muted small">{c.samples.length > 0 ? c.samples.join(t("common.list_separator")) : t("import.no_samples")}</span>
              </div>
              <Select
                className="import-target"
                value={target ?? ""}
                disabled={disabled}
                showSearch
                optionFilterProp="label"
                // A few dozen targets: all in the page, so any can be scrolled to or found.
                virtual={false}
                options={options}
                aria-label={t("import.target_of", { header })}
                onChange={(v: string) => onChange(columns.map((old, j) => (j === i ? v || null : old)))}
                data-testid={`import-target-${i}`}
              />
            </li>
          );
        })}
      </ul>
    </>
  );
}

/// Which fields find a record already here, and what to do with a row that finds one.
export function MatchSettings({
  offered,
  kind,
  keys,
  policy,
  disabled,
  onKeys,
  onPolicy,
}: {
  offered: string[];
  kind: string;
  keys: string[];
  policy: ImportPolicy;
  disabled: boolean;
  onKeys: (keys: string[]) => void;
  onPolicy: (policy: ImportPolicy) => void;
}) {
  const { t } = useCrm();
  if (offered.length === 0) return <p className="muted">{t("import.no_keys")}</p>;
  return (
    <div className="import-match">
      <p className="muted">{t("import.keys_hint")}</p>
      <Checkbox.Group
        className="import-keys"
        value={keys}
        disabled={disabled}
        onChange={(v) => onKeys(offered.filter((k) => v.includes(k)))}
        options={offered.map((k) => ({ value: k, label: <span data-testid={`import-key-${k}`}>{fieldLabel(t, kind, k)}</span> }))}
      />
      {keys.length === 0 ? (
        <p className="muted" data-testid="import-no-keys">
          {t("import.no_keys_chosen")}
        </p>
      ) : (
        <Radio.Group className="import-policies" value={policy} disabled={disabled} onChange={(e) => onPolicy(e.target.value as ImportPolicy)}>
          {POLICIES.map((p) => (
            <Radio key={p} value={p} data-testid={`import-policy-${p}`}>
              <strong>{t(`import.policy_${p}`)}</strong>
              <span className="muted small import-policy-hint">{t(`import.policy_${p}_hint`)}</span>
            </Radio>
          ))}
        </Radio.Group>
      )}
    </div>
  );
}

/// The counts, and the rows of one action at a time (refused ones first when there are any).
export function PlanRows({ preview, columns }: { preview: ImportPreview; columns: (string | null)[] | null }) {
  const { t } = useCrm();
  const [chosen, setChosen] = useState<ImportAction | null>(null);
  const { counts } = preview;
  const action = chosen ?? (counts.reject > 0 ? "reject" : "create");
  const rows = rowsOf(preview.plan, action, SHOWN_ROWS);
  // The mapping being asked about names the headers while its answer is on the way.
  const shownColumns = columns ? preview.columns.map((c, i) => ({ ...c, target: columns[i] ?? null })) : preview.columns;
  return (
    <>
      <Segmented
        className="import-counts"
        value={action}
        onChange={(v) => setChosen(v as ImportAction)}
        options={ACTIONS.map((a) => ({
          value: a,
          label: (
            <span data-testid={`import-count-${a}`} data-count={counts[a]}>
              {t(`import.count_${a}`, { count: counts[a] })}
            </span>
          ),
        }))}
        aria-label={t("import.step_rows")}
      />
      {counts.contacts > 0 && (
        <p className="muted small section" data-testid="import-count-contacts" data-count={counts.contacts}>
          {t("import.count_contacts", { count: counts.contacts })}
        </p>
      )}
      {rows.length === 0 ? (
        <p className="muted section">{t("import.no_rows")}</p>
      ) : (
        <ul className="list import-rows" data-testid="import-rows">
          {rows.map((row) => (
            <PlanRow key={row.line} row={row} kind={preview.kind} columns={shownColumns} />
          ))}
        </ul>
      )}
      {counts[action] > rows.length && rows.length > 0 && <p className="muted small">{t("import.rows_more", { shown: rows.length, count: counts[action] })}</p>}
    </>
  );
}

function PlanRow({ row, kind, columns }: { row: ImportPlanRow; kind: string; columns: ImportPreview["columns"] }) {
  const { t } = useCrm();
  const custom = useCustomLabels(kind);
  const note = rowNote(t, row);
  const path = row.id ? recordPath(kind, row.id) : null;
  return (
    <li className="row import-row" data-testid="import-row" data-line={row.line} data-action={row.action}>
      <div className="row-main">
        <strong>{t("import.line", { line: row.line, title: row.title ?? t("import.no_title") })}</strong>
        {note && <span className="muted">{note}</span>}
      </div>
      {path && (
        <Link className="field-link" to={path}>
          {t("import.open_record")}
        </Link>
      )}
      {row.errors && row.errors.length > 0 && (
        <ul className="import-errors">
          {row.errors.map((e, i) => {
            const d = describeError(t, kind, columns, e, custom);
            return (
              <li key={i} className="error" data-testid="import-row-error" data-field={e.field} data-reason={e.reason}>
                {d.value !== null ? t("import.error_value", { where: d.where, value: d.value, reason: d.reason }) : t("import.error", { where: d.where, reason: d.reason })}
              </li>
            );
          })}
        </ul>
      )}
    </li>
  );
}
