// The price lists on the catalogue screen (admins): loaded from a spreadsheet the ERP exports
// (`load_price_lists`: the lists made and replaced, the rules, every row left out with why, in
// words), and the lists this device holds, read-only — name, for which grade or customer, when
// valid, how many rules.

import { UploadOutlined } from "@ant-design/icons";
import { Alert, Button, Card, Tag, Upload } from "antd";
import { useState } from "react";
import type { Item, PriceListsLoaded } from "../../api";
import { errorText } from "../../errors";
import { readAsBase64 } from "../../files";
import { dictLabel, formatDate } from "../../i18n";
import { useCrm, useData } from "../../state";
import { describeError } from "../import/model";

export function PriceLists() {
  const { crm, t } = useCrm();
  const [loaded, setLoaded] = useState<PriceListsLoaded | null>(null);
  // Read again after each file loaded here, as well as when records change.
  const lists = useData(() => crm.list("price_list", { sort: "name", limit: 200, names: true }), [loaded]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const load = async (file: File) => {
    setBusy(true);
    setError(null);
    setLoaded(null);
    try {
      setLoaded(await crm.loadPriceLists(file.name, await readAsBase64(file)));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card className="section" title={t("sales.price_lists")} data-testid="price-lists">
      <Upload
        accept=".xlsx,.xls,.csv"
        showUploadList={false}
        beforeUpload={(file: File) => {
          void load(file);
          return Upload.LIST_IGNORE;
        }}
      >
        <Button icon={<UploadOutlined />} loading={busy} data-testid="price-lists-load">
          {t("sales.price_lists_load")}
        </Button>
      </Upload>
      <p className="muted small">{t("sales.price_lists_hint")}</p>
      {error !== null && <Alert type="error" showIcon message={errorText(t, error)} data-testid="price-lists-error" />}
      {loaded && <LoadResult result={loaded} />}
      {lists.error && <Alert type="error" showIcon message={errorText(t, lists.error)} />}
      {lists.data && lists.data.items.length === 0 && <p className="muted">{t("sales.price_lists_none")}</p>}
      <ul className="list" data-testid="price-list-rows">
        {(lists.data?.items ?? []).map((l) => (
          <PriceListRow key={l.id} list={l} />
        ))}
      </ul>
    </Card>
  );
}

/// What the file did: lists made and replaced by name, rules loaded, rows left out with why.
function LoadResult({ result }: { result: PriceListsLoaded }) {
  const { t } = useCrm();
  const names = (xs: string[]) => (xs.length ? xs.join("、") : t("sales.price_lists_no_names"));
  return (
    <div className="section" data-testid="price-lists-result">
      <Alert
        type={result.rejected.length ? "warning" : "success"}
        showIcon
        message={
          <div>
            <div data-testid="price-lists-created" data-names={result.created.join("|")}>
              {t("sales.price_lists_created", { names: names(result.created) })}
            </div>
            <div data-testid="price-lists-updated" data-names={result.updated.join("|")}>
              {t("sales.price_lists_updated", { names: names(result.updated) })}
            </div>
            <div data-testid="price-lists-rules" data-rules={result.rules}>
              {t("sales.price_lists_rules", { rules: result.rules })}
            </div>
          </div>
        }
      />
      {result.rejected.length > 0 && (
        <ul className="list import-errors" data-testid="price-lists-rejected">
          {result.rejected.map((r) => (
            <li key={r.line} className="row" data-testid="price-lists-rejected-line" data-line={r.line}>
              <strong>{t("sales.price_lists_line", { line: r.line })}</strong>
              <ul>
                {r.errors.map((e, i) => {
                  const d = describeError(t, "price_list", [], e);
                  return (
                    <li key={i} className="error" data-testid="price-lists-error-reason" data-field={e.field} data-reason={e.reason}>
                      {d.value !== null ? t("import.error_value", { where: d.where, value: d.value, reason: d.reason }) : t("import.error", { where: d.where, reason: d.reason })}
                    </li>
                  );
                })}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/// One price list: name, for which grade or customer (everyone otherwise), validity, rules.
function PriceListRow({ list }: { list: Item }) {
  const { crm, t, lang, dicts } = useCrm();
  const f = list.fields;
  // `list` leaves item lists out: the rules are counted on the record itself.
  const record = useData(() => crm.get(list.id), [list.id, list.updated_at]);
  const items = record.data?.fields.items;
  const rules = Array.isArray(items) ? items.length : null;
  const names = list.names ?? {};
  const whom =
    typeof f.customer === "string" && f.customer
      ? t("sales.price_list_customer", { customer: names[f.customer] ?? f.customer })
      : typeof f.grade === "string" && f.grade
        ? t("sales.price_list_grade", { grade: dictLabel(lang, dicts, "customer_grade", f.grade) })
        : t("sales.price_list_everyone");
  const from = typeof f.valid_from === "string" && f.valid_from ? formatDate(lang, f.valid_from) : null;
  const to = typeof f.valid_to === "string" && f.valid_to ? formatDate(lang, f.valid_to) : null;
  const validity = from || to ? t("sales.price_list_valid", { from: from ?? "…", to: to ?? "…" }) : t("sales.price_list_always");
  return (
    <li className="row" data-testid="price-list-row" data-name={String(f.name ?? "")} data-rules={rules ?? ""}>
      <span className="row-main">
        <strong>{String(f.name ?? "")}</strong>
        <span className="muted small">
          <span data-testid="price-list-whom">{whom}</span> · <span data-testid="price-list-validity">{validity}</span>
        </span>
      </span>
      <span className="row-tags">
        {rules !== null && <Tag data-testid="price-list-rules">{t("sales.price_list_rules", { rules })}</Tag>}
        {f.active === false && <Tag>{t("sales.price_list_inactive")}</Tag>}
      </span>
    </li>
  );
}
