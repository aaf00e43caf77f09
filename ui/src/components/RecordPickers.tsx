// Choosing a record a form refers to: a customer by searching (there may be thousands), a
// contact among the chosen customer's, a campaign among the planned and running ones.

import { Select } from "antd";
import { useEffect, useState } from "react";
import { useCrm, useData } from "../state";

interface Option {
  value: string;
  label: string;
  "data-value": string;
}

const option = (value: string, label: string): Option => ({ value, label, "data-value": value });

/// A customer, found by typing part of its name, code or phone (the core's search).
export function CustomerPicker({
  id,
  value,
  onChange,
  invalid,
  "data-testid": testId,
}: {
  id?: string;
  value: string | undefined;
  onChange: (v: string | undefined) => void;
  invalid?: boolean;
  "data-testid"?: string;
}) {
  const { crm, t } = useCrm();
  const [query, setQuery] = useState("");
  const [options, setOptions] = useState<Option[]>([]);
  const [chosen, setChosen] = useState<Option | null>(null);

  // The chosen customer's name, when the value came from elsewhere (a restored draft).
  useEffect(() => {
    if (!value || chosen?.value === value) return;
    let live = true;
    crm.get(value).then(
      (r) => live && setChosen(option(r.id, String(r.fields.name ?? r.id))),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [crm, value, chosen]);

  useEffect(() => {
    const q = query.trim();
    let live = true;
    const timer = setTimeout(() => {
      const found = q
        ? crm.search(q, 20, ["customer"]).then((hits) => hits.map((h) => option(h.id, h.subtitle ? `${h.title} · ${h.subtitle}` : h.title)))
        : crm.list("customer", { sort: "updated_at", desc: true, limit: 20 }).then((p) => p.items.map((c) => option(c.id, String(c.fields.name))));
      found.then((o) => live && setOptions(o), () => undefined);
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [crm, query]);

  const shown = chosen && !options.some((o) => o.value === chosen.value) ? [chosen, ...options] : options;
  return (
    <Select
      id={id}
      showSearch
      allowClear
      filterOption={false}
      onSearch={setQuery}
      value={value || undefined}
      onChange={(v?: string) => {
        setChosen(shown.find((o) => o.value === v) ?? null);
        onChange(v);
      }}
      placeholder={t("service.choose_customer")}
      aria-label={t("field.customer")}
      status={invalid ? "error" : undefined}
      data-testid={testId}
      virtual={false}
      options={shown}
    />
  );
}

/// One of a customer's contacts (primary first), or none.
export function ContactSelect({
  id,
  customer,
  value,
  onChange,
  invalid,
  "data-testid": testId,
}: {
  id?: string;
  customer: string | undefined;
  value: string | undefined;
  onChange: (v: string | undefined) => void;
  invalid?: boolean;
  "data-testid"?: string;
}) {
  const { crm, t } = useCrm();
  const contacts = useData(
    () =>
      customer
        ? crm.list("contact", { filter: { customer }, sort: "name", limit: 200 }).then((p) => p.items)
        : Promise.resolve([]),
    [customer],
  );
  const items = [...(contacts.data ?? [])].sort((a, b) => Number(b.fields.is_primary === true) - Number(a.fields.is_primary === true));
  return (
    <Select
      id={id}
      allowClear
      value={value || undefined}
      onChange={(v?: string) => onChange(v)}
      placeholder={t("service.choose_contact")}
      aria-label={t("field.contact")}
      status={invalid ? "error" : undefined}
      disabled={!customer}
      data-testid={testId}
      virtual={false}
      options={items.map((c) => option(c.id, [c.fields.name, c.fields.title].filter(Boolean).join(" · ")))}
    />
  );
}

/// A campaign that is planned or running (or the one already chosen, whatever its state).
export function CampaignSelect({
  id,
  value,
  onChange,
  "data-testid": testId,
}: {
  id?: string;
  value: string | undefined;
  onChange: (v: string | undefined) => void;
  "data-testid"?: string;
}) {
  const { crm, t } = useCrm();
  const campaigns = useData(
    () => crm.list("campaign", { filter: { status: ["planned", "running"] }, sort: "starts_on", desc: true, limit: 200 }).then((p) => p.items),
    [],
  );
  const chosen = useData(() => (value ? crm.get(value).then((r) => r, () => null) : Promise.resolve(null)), [value]);
  const items = campaigns.data ?? [];
  const options = items.map((c) => option(c.id, String(c.fields.name ?? c.id)));
  if (chosen.data && !items.some((c) => c.id === value)) options.unshift(option(chosen.data.id, String(chosen.data.fields.name ?? chosen.data.id)));
  return (
    <Select
      id={id}
      allowClear
      showSearch
      optionFilterProp="label"
      value={value || undefined}
      onChange={(v?: string) => onChange(v)}
      placeholder={t("campaigns.choose")}
      aria-label={t("field.campaign")}
      data-testid={testId}
      virtual={false}
      options={options}
    />
  );
}
