import { useState } from "react";
import type { ConflictValue, Item, Json, RecordView } from "../api";
import { dictLabel, formatDate, formatDateTime, formatMoney } from "../i18n";
import { navigate, useCrm, useData, userName } from "../state";
import { errorText } from "./errors";

const SHOWN: { name: string; dict?: string }[] = [
  { name: "code" },
  { name: "grade", dict: "customer_grade" },
  { name: "status", dict: "customer_status" },
  { name: "type", dict: "customer_type" },
  { name: "industry", dict: "industry" },
  { name: "region", dict: "region" },
  { name: "source", dict: "customer_source" },
  { name: "phones" },
  { name: "email" },
  { name: "address" },
  { name: "website" },
  { name: "owner" },
  { name: "tags" },
  { name: "notes" },
];

export function CustomerDetail({ id }: { id: string }) {
  const { crm, t, lang, dicts, users, toast } = useCrm();
  const view = useData(() => crm.customer360(id), [id]);
  const [showHistory, setShowHistory] = useState(false);
  const [error, setError] = useState<string | null>(null);

  if (view.error) return <p className="error page">{errorText(t, view.error)}</p>;
  if (!view.data) return <p className="page muted">{t("common.loading")}</p>;
  const { customer, contacts, activities, opportunities } = view.data;
  const f = customer.fields;

  const show = (name: string, value: Json | undefined, dict?: string): string => {
    if (value === null || value === undefined) return "";
    if (dict) return dictLabel(lang, dicts, dict, value);
    if (name === "owner") return userName(users, value, customer.names);
    if (Array.isArray(value)) return value.join("、");
    return String(value);
  };

  const resolve = async (field: string, value: Json) => {
    try {
      await crm.resolveConflict(id, field, value);
      toast(t("form.saved"));
      view.reload();
    } catch (e) {
      setError(errorText(t, e));
    }
  };

  const toggleDeleted = async () => {
    if (!customer.deleted_at && !confirm(t("detail.confirm_delete"))) return;
    try {
      if (customer.deleted_at) await crm.restore(id);
      else await crm.remove(id);
      view.reload();
    } catch (e) {
      setError(errorText(t, e));
    }
  };

  return (
    <div className="page detail" data-testid="customer-detail">
      <div className="page-head">
        <button className="link" onClick={() => history.back()}>
          ← {t("common.back")}
        </button>
      </div>
      <div className="detail-head">
        <div>
          <h1 data-testid="customer-name">{String(f.name ?? "")}</h1>
          <p className="muted">
            {[f.code, dictLabel(lang, dicts, "customer_grade", f.grade)].filter(Boolean).join(" · ")}
          </p>
        </div>
        <div className="actions">
          <button className="primary" onClick={() => navigate(`visit/${id}`)} data-testid="log-visit">
            {t("home.log_visit")}
          </button>
          <button onClick={() => navigate(`edit/customer/${id}`)} data-testid="edit-customer">
            {t("common.edit")}
          </button>
          <button onClick={toggleDeleted}>{customer.deleted_at ? t("common.restore") : t("common.delete")}</button>
        </div>
      </div>
      {customer.deleted_at && <p className="notice">{t("detail.deleted")}</p>}
      {error && <p className="error">{error}</p>}

      <div className="detail-grid">
        <section className="card">
          <h2>{t("detail.fields")}</h2>
          <dl className="fields">
            {SHOWN.map(({ name, dict }) => {
              const conflict = customer.conflicts?.[name];
              const text = show(name, f[name], dict);
              if (!text && !conflict) return null;
              return (
                <div key={name} className="field-row" data-field={name}>
                  <dt>{t(`field.${name}`)}</dt>
                  <dd className={name === "notes" ? "notes" : ""}>
                    {text}
                    {conflict && (
                      <ConflictBadge
                        values={conflict}
                        record={customer}
                        render={(v) => show(name, v, dict)}
                        onKeep={(v) => resolve(name, v)}
                      />
                    )}
                  </dd>
                </div>
              );
            })}
          </dl>
        </section>

        <section className="card">
          <div className="section-head">
            <h2>{t("detail.contacts")}</h2>
            <button onClick={() => navigate(`new/contact/${id}`)} data-testid="add-contact">
              + {t("detail.new_contact")}
            </button>
          </div>
          {contacts.length === 0 && <p className="muted">{t("detail.no_contacts")}</p>}
          <ul className="list" data-testid="contacts">
            {contacts.map((c) => (
              <li key={c.id} className="row">
                <a className="row-main" href={`#/edit/contact/${c.id}`}>
                  <strong>{String(c.fields.name)}</strong>
                  <span className="muted">
                    {[c.fields.title, ...((c.fields.phones as string[] | undefined) ?? [])].filter(Boolean).join(" · ")}
                  </span>
                </a>
                {c.fields.is_primary === true && <span className="pill">{t("detail.primary")}</span>}
                {c.has_conflicts && <span className="pill pill-warn">{t("customers.conflict")}</span>}
              </li>
            ))}
          </ul>
        </section>

        <section className="card">
          <div className="section-head">
            <h2>{t("detail.opportunities")}</h2>
            <button onClick={() => navigate(`new/opportunity/${id}`)} data-testid="add-opportunity">
              + {t("detail.new_opportunity")}
            </button>
          </div>
          {opportunities.length === 0 && <p className="muted">{t("detail.no_opportunities")}</p>}
          <ul className="list">
            {opportunities.map((o) => (
              <li key={o.id} className="row">
                <a className="row-main" href={`#/edit/opportunity/${o.id}`}>
                  <strong>{String(o.fields.title)}</strong>
                  <span className="muted">{formatDate(lang, o.fields.expected_close as string)}</span>
                </a>
                <span className="pill">{t(`stage.${o.fields.stage}`)}</span>
                <span className="money">{formatMoney(lang, o.fields.amount as never)}</span>
              </li>
            ))}
          </ul>
        </section>

        <section className="card">
          <h2>{t("detail.activities")}</h2>
          {activities.length === 0 && <p className="muted">{t("detail.no_activities")}</p>}
          <ol className="timeline" data-testid="timeline">
            {activities.map((a) => (
              <TimelineEntry key={a.id} a={a} />
            ))}
          </ol>
        </section>

        <section className="card">
          <h2>{t("detail.history")}</h2>
          {showHistory ? (
            <History id={id} />
          ) : (
            <button onClick={() => setShowHistory(true)} data-testid="show-history">
              {t("detail.show_history")}
            </button>
          )}
        </section>
      </div>
    </div>
  );
}

function TimelineEntry({ a }: { a: Item }) {
  const { t, lang, dicts, users } = useCrm();
  const f = a.fields;
  return (
    <li>
      <div className="timeline-head">
        <strong>{t(`activity_type.${f.type}`)}</strong>
        {f.outcome ? <span className="pill">{dictLabel(lang, dicts, "activity_outcome", f.outcome)}</span> : null}
        <span className="muted small">{formatDateTime(lang, f.time as string)}</span>
      </div>
      {f.subject ? <p>{String(f.subject)}</p> : null}
      <p className="muted small">
        {[userName(users, f.owner), f.next_follow_up ? `${t("field.next_follow_up")}: ${formatDate(lang, f.next_follow_up as string)}` : null]
          .filter(Boolean)
          .join(" · ")}
      </p>
    </li>
  );
}

function ConflictBadge({
  values,
  record,
  render,
  onKeep,
}: {
  values: ConflictValue[];
  record: RecordView;
  render: (v: Json) => string;
  onKeep: (v: Json) => void;
}) {
  const { t, lang, users } = useCrm();
  const [open, setOpen] = useState(false);
  return (
    <span className="conflict">
      <button className="pill pill-warn" onClick={() => setOpen(!open)} data-testid="conflict-badge" aria-expanded={open}>
        ⚠ {t("customers.conflict")}
      </button>
      {open && (
        <span className="conflict-pop" role="dialog" aria-label={t("detail.conflict_title")}>
          <strong>{t("detail.conflict_title")}</strong>
          {values.map((v, i) => (
            <span key={i} className="conflict-value">
              <span>
                <span className="value">{render(v.value)}</span>
                <span className="muted small">
                  {t("detail.conflict_by", {
                    name: userName(users, v.user_id ?? undefined, record.names) || t("history.someone"),
                    time: formatDateTime(lang, v.at),
                  })}
                </span>
              </span>
              <button onClick={() => onKeep(v.value)} data-testid="conflict-keep">
                {t("detail.conflict_keep")}
              </button>
            </span>
          ))}
        </span>
      )}
    </span>
  );
}

function History({ id }: { id: string }) {
  const { crm, t, lang, users } = useCrm();
  const h = useData(() => crm.history(id), [id]);
  if (!h.data) return <p className="muted">{t("common.loading")}</p>;
  return (
    <ol className="history" data-testid="history">
      {[...h.data.entries].reverse().map((e) => (
        <li key={e.hash}>
          <strong>{userName(users, e.user_id ?? undefined, h.data?.names) || t("history.someone")}</strong>{" "}
          {t(`history.${e.action}`, { fields: e.fields.map((f) => t(`field.${f}`)).join("、") })}
          <span className="muted small"> · {formatDateTime(lang, e.at)}</span>
        </li>
      ))}
    </ol>
  );
}
