// One form field's input, chosen by the field's type in the core's schema.

import { Checkbox, DatePicker, Input, InputNumber, Select, Space } from "antd";
import dayjs from "dayjs";
import type { FieldSchema } from "../../api";
import type { FormValues } from "../../forms";
import { dictLabel } from "../../i18n";
import type { T } from "../../i18n";
import { useCrm } from "../../state";
import { OwnerSelect } from "../../components/OwnerSelect";
import { CampaignSelect, ContactSelect, CustomerPicker } from "../../components/RecordPickers";
import { TargetFilterInput } from "../campaigns/TargetFilterInput";

/// The currencies a money box offers.
export const CURRENCIES = ["CNY", "USD", "EUR", "HKD", "JPY"];

export function fieldLabel(t: T, kind: string, name: string): string {
  if (kind === "opportunity" && name === "title") return t("field.opportunity_title");
  if (kind === "contact" && name === "name") return t("field.person_name");
  if (kind === "service_request" && name === "title") return t("field.service_title");
  if (kind === "article" && name === "title") return t("field.article_title");
  if (kind === "lead" && name === "name") return t("field.person_name");
  if (kind === "campaign" && name === "name") return t("field.campaign_name");
  if (kind === "campaign" && name === "type") return t("field.campaign_type");
  return t(`field.${name}`);
}

/// Options carry `data-value` so a test can pick one by its code whatever the language.
const option = (value: string, label: string) => ({ value, label, "data-value": value });

export function FieldInput({
  kind,
  spec,
  values,
  set,
  invalid,
}: {
  kind: string;
  spec: FieldSchema;
  values: FormValues;
  set: (name: string, v: string | boolean) => void;
  invalid: boolean;
}) {
  const { t, lang, dicts } = useCrm();
  const name = spec.name;
  const v = values[name];
  const text = typeof v === "string" ? v : "";
  const common = { id: `f-${name}`, "data-testid": `field-${name}`, status: invalid ? ("error" as const) : undefined };
  const onText = (e: { target: { value: string } }) => set(name, e.target.value);
  const select = { ...common, value: text || undefined, onChange: (x?: string) => set(name, x ?? ""), virtual: false };
  if (kind === "campaign" && name === "target_filter") {
    const target = typeof values.target_kind === "string" ? values.target_kind : "";
    return <TargetFilterInput key={target} kind={target} value={text} onChange={(x) => set(name, x)} invalid={invalid} />;
  }
  switch (spec.type) {
    case "boolean":
      return <Checkbox id={common.id} data-testid={common["data-testid"]} checked={v === true} onChange={(e) => set(name, e.target.checked)} />;
    case "enum":
      return (
        <Select
          {...select}
          allowClear={!spec.required}
          options={spec.choices?.map((c) => option(c, t(name === "stage" ? `stage.${c}` : `${name}.${c}`)))}
        />
      );
    case "dictionary":
      return (
        <Select
          {...select}
          allowClear
          placeholder="—"
          options={dicts
            .filter((d) => d.fields.dict === spec.dictionary && (d.fields.active !== false || d.fields.code === text))
            .map((d) => option(String(d.fields.code), dictLabel(lang, dicts, String(spec.dictionary), d.fields.code)))}
        />
      );
    case "reference":
      if (spec.kind === "user") {
        return <OwnerSelect id={common.id} data-testid={common["data-testid"]} value={text || undefined} onChange={(x) => set(name, x ?? "")} />;
      }
      if (spec.kind === "customer") {
        return <CustomerPicker id={common.id} data-testid={common["data-testid"]} invalid={invalid} value={text || undefined} onChange={(x) => set(name, x ?? "")} />;
      }
      if (spec.kind === "campaign") {
        return <CampaignSelect id={common.id} data-testid={common["data-testid"]} value={text || undefined} onChange={(x) => set(name, x ?? "")} />;
      }
      if (spec.kind === "contact") {
        const customer = typeof values.customer === "string" && values.customer ? values.customer : undefined;
        return <ContactSelect id={common.id} data-testid={common["data-testid"]} invalid={invalid} customer={customer} value={text || undefined} onChange={(x) => set(name, x ?? "")} />;
      }
      return <Input {...common} value={text} onChange={onText} />;
    case "money":
      return (
        <Space.Compact block>
          <Input {...common} inputMode="decimal" placeholder={t("form.amount_hint")} value={text} onChange={onText} />
          <Select
            aria-label={t("form.currency")}
            className="currency"
            value={String(values[`${name}__currency`] || "CNY")}
            onChange={(c: string) => set(`${name}__currency`, c)}
            options={CURRENCIES.map((c) => option(c, c))}
            virtual={false}
          />
        </Space.Compact>
      );
    case "date":
      // A calendar date: shown in the app's language, sent as `YYYY-MM-DD` with no time zone.
      return (
        <DatePicker
          {...common}
          className="full-width"
          inputReadOnly
          value={text ? dayjs(text) : null}
          onChange={(d) => set(name, d ? d.format("YYYY-MM-DD") : "")}
        />
      );
    case "integer":
      return (
        <InputNumber
          {...common}
          className="full-width"
          min={spec.min}
          max={spec.max}
          precision={0}
          inputMode="numeric"
          // The spinner's arrows are far below a 44 px touch target; typing is quicker anyway.
          controls={false}
          value={text === "" ? null : Number(text)}
          onChange={(n) => set(name, n === null ? "" : String(n))}
        />
      );
    case "notes":
      return <Input.TextArea {...common} autoSize={{ minRows: 4 }} value={text} onChange={onText} />;
    case "phones":
    case "tags":
      return (
        <Input
          {...common}
          inputMode={spec.type === "phones" ? "tel" : "text"}
          placeholder={t(spec.type === "phones" ? "form.phones_hint" : "form.tags_hint")}
          value={text}
          onChange={onText}
        />
      );
    case "email":
      return <Input {...common} type="email" inputMode="email" value={text} onChange={onText} />;
    default:
      return (
        <Input
          {...common}
          value={text}
          maxLength={spec.max_chars}
          autoFocus={name === "name" || (kind !== "contact" && name === "title")}
          onChange={onText}
        />
      );
  }
}
