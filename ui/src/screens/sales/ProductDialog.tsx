// An admin adds a product or changes one: code, name, specification, unit, category, list price
// (tax included), tax rate, whether it is on sale, a description, then the company's custom
// fields for products. An edit sends only what changed; the core's refusals are shown by their
// boxes.

import { Input, Select, Space } from "antd";
import { useMemo, useState } from "react";
import type { Fields, Item } from "../../api";
import { customFieldsWrite, customFormValues, customValuesOf } from "../../customFields";
import { currencyDigits, dictLabel, parseMoney } from "../../i18n";
import { useCrm, useCustomFields } from "../../state";
import { CustomFieldInputs } from "../../components/CustomFieldInputs";
import { FormDialog } from "../../components/FormDialog";
import { FormField } from "../../components/FormField";
import { useRefusableSave } from "../../components/useRefusableSave";
import { CURRENCIES } from "../records/FieldInput";
import { amountInput, moneyOf, parseRate, rateInput } from "./model";

const TEXTS = ["code", "name", "spec", "unit", "description"] as const;
const MAX: Record<string, number> = { code: 40, name: 200, spec: 200, unit: 20, description: 1000 };

function valuesOf(p: Item | null): Record<string, string> {
  const f = p?.fields ?? {};
  const price = moneyOf(f.list_price);
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  return {
    ...Object.fromEntries(TEXTS.map((k) => [k, text(f[k])])),
    category: text(f.category),
    currency: price?.currency ?? "CNY",
    list_price: price ? amountInput(price.minor, price.currency) : "",
    tax_rate: p ? rateInput(typeof f.tax_rate === "number" ? f.tax_rate : null) : rateInput(1300),
    status: text(f.status) || "on_sale",
  };
}

export function ProductDialog({ product, onClose }: { product: Item | null; onClose: () => void }) {
  const { crm, t, lang, dicts } = useCrm();
  const { busy, errors, other, setErrors, run } = useRefusableSave();
  const customFields = useCustomFields("product");
  const held = useMemo(() => customValuesOf(product?.fields), [product]);
  const [initial] = useState(() => ({ ...valuesOf(product), ...customFormValues(customFields, held) }));
  const [values, setValues] = useState(initial);
  const set = (k: string, v: string) => setValues((old) => ({ ...old, [k]: v }));

  const save = () =>
    run(async () => {
      const fields: Fields = {};
      const local: Record<string, string> = {};
      const changed = (k: string) => !product || values[k] !== initial[k];
      for (const k of TEXTS) if (changed(k) && (product || values[k].trim())) fields[k] = values[k].trim() || null;
      if (changed("category")) fields.category = values.category || null;
      if (changed("status")) fields.status = values.status;
      if (changed("list_price") || changed("currency")) {
        const minor = parseMoney(values.list_price, currencyDigits(values.currency));
        if (minor === null) local.list_price = t("error.invalid_amount");
        else fields.list_price = { minor, currency: values.currency };
      }
      if (changed("tax_rate")) {
        const bp = values.tax_rate.trim() === "" ? null : parseRate(values.tax_rate);
        if (values.tax_rate.trim() !== "" && bp === null) local.tax_rate = t("error.invalid_rate");
        else fields.tax_rate = bp;
      }
      if (Object.keys(local).length) return setErrors(local);
      const customValues = customFieldsWrite(customFields, values, held, product ? initial : undefined);
      if (customValues !== undefined) fields.custom_fields = customValues;
      if (product) {
        if (Object.keys(fields).length) await crm.update(product.id, fields);
      } else await crm.create("product", fields);
      onClose();
    });

  const text = (k: (typeof TEXTS)[number], wide = false) => (
    <FormField id={`p-${k}`} label={t(`sales.product_field.${k}`)} required={k === "code" || k === "name"} error={errors[k]} className={wide ? "wide" : ""}>
      {k === "description" ? (
        <Input.TextArea id={`p-${k}`} autoSize={{ minRows: 2 }} maxLength={MAX[k]} value={values[k]} onChange={(e) => set(k, e.target.value)} data-testid={`product-${k}`} />
      ) : (
        <Input id={`p-${k}`} maxLength={MAX[k]} value={values[k]} status={errors[k] ? "error" : undefined} onChange={(e) => set(k, e.target.value)} data-testid={`product-${k}`} />
      )}
    </FormField>
  );

  return (
    <FormDialog
      title={product ? t("sales.edit_product", { code: initial.code }) : t("sales.new_product")}
      onOk={() => void save()}
      onClose={onClose}
      busy={busy}
      testId={{ ok: "product-save", form: "product-form" }}
      refusal={other}
    >
      {text("code")}
      {text("name")}
      {text("spec")}
      {text("unit")}
      <FormField id="p-category" label={t("field.category")} error={errors.category}>
        <Select
          id="p-category"
          allowClear
          value={values.category || undefined}
          onChange={(v?: string) => set("category", v ?? "")}
          virtual={false}
          data-testid="product-category-input"
          options={dicts
            .filter((d) => d.fields.dict === "product_category" && (d.fields.active !== false || d.fields.code === values.category))
            .map((d) => ({ value: String(d.fields.code), label: dictLabel(lang, dicts, "product_category", d.fields.code), "data-value": String(d.fields.code) }))}
        />
      </FormField>
      <FormField id="p-list_price" label={t("sales.product_field.list_price")} required error={errors.list_price}>
        <Space.Compact block>
          <Input id="p-list_price" inputMode="decimal" value={values.list_price} status={errors.list_price ? "error" : undefined} onChange={(e) => set("list_price", e.target.value)} data-testid="product-list_price" />
          <Select
            aria-label={t("form.currency")}
            className="currency"
            value={values.currency}
            onChange={(c: string) => set("currency", c)}
            options={CURRENCIES.map((c) => ({ value: c, label: c, "data-value": c }))}
            virtual={false}
          />
        </Space.Compact>
      </FormField>
      <FormField id="p-tax_rate" label={t("sales.tax_percent")} error={errors.tax_rate}>
        <Input id="p-tax_rate" inputMode="decimal" value={values.tax_rate} status={errors.tax_rate ? "error" : undefined} onChange={(e) => set("tax_rate", e.target.value)} data-testid="product-tax_rate" />
      </FormField>
      <FormField id="p-status" label={t("field.status")} error={errors.status}>
        <Select
          id="p-status"
          value={values.status}
          onChange={(v: string) => set("status", v)}
          virtual={false}
          data-testid="product-status-input"
          options={["on_sale", "discontinued"].map((s) => ({ value: s, label: t(`sales.product_status.${s}`), "data-value": s }))}
        />
      </FormField>
      {text("description", true)}
      <CustomFieldInputs kind="product" values={values} held={held} set={set} errors={errors} />
    </FormDialog>
  );
}
