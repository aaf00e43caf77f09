// Administration (admins only): read-only lists of the reference data — people, teams and
// dictionary entries — as this device holds them, and the company's settings and grade rules
// to change.

import { Alert, Select, Table, Tabs, Tag } from "antd";
import type { TableColumnsType } from "antd";
import { useState } from "react";
import { useNavigate, useParams } from "react-router-dom";
import type { Item } from "../../api";
import { errorText } from "../../errors";
import { useCrm, useData, userName } from "../../state";
import { PhoneLinks } from "../../components/PhoneLinks";
import { Settings } from "./Settings";

const SECTIONS = ["users", "teams", "dictionary", "settings"] as const;
const KINDS = { users: "user", teams: "team", dictionary: "dict_entry" } as const;
const SORT = { users: "display_name", teams: "name", dictionary: "dict" } as const;
const LIMIT = 500;

type Section = (typeof SECTIONS)[number];
type Listed = Exclude<Section, "settings">;

export function AdminScreen() {
  const { t } = useCrm();
  const navigate = useNavigate();
  const param = useParams().section ?? "";
  const section: Section = (SECTIONS as readonly string[]).includes(param) ? (param as Section) : "users";
  return (
    <div className="page admin" data-testid={`admin-${section}`}>
      <h1>{t("nav.admin")}</h1>
      <Tabs
        activeKey={section}
        onChange={(key) => navigate(`/admin/${key}`)}
        items={SECTIONS.map((s) => ({ key: s, label: t(`nav.admin_${s}`) }))}
      />
      {section === "settings" ? <Settings /> : <RecordTable key={section} section={section} />}
    </div>
  );
}

function RecordTable({ section }: { section: Listed }) {
  const { crm, t } = useCrm();
  const [dict, setDict] = useState<string | undefined>();
  const page = useData(
    // One dictionary is shown in its own order; all of them grouped by dictionary.
    () => crm.list(KINDS[section], { sort: dict ? "sort_order" : SORT[section], limit: LIMIT, filter: dict ? { dict } : undefined }),
    [section, dict],
  );
  const columns = useColumns(section);
  if (page.error) return <Alert type="error" showIcon message={errorText(t, page.error)} />;
  return (
    <>
      {section === "dictionary" && (
        <Select
          className="admin-filter"
          allowClear
          value={dict}
          onChange={setDict}
          placeholder={t("common.labelled", { label: t("admin.dict"), value: t("common.all") })}
          popupMatchSelectWidth={false}
          virtual={false}
          options={DICTS.map((d) => ({ value: d, label: t(`dict.${d}`) }))}
        />
      )}
      {page.data && page.data.total > page.data.items.length && (
        <p className="muted small">{t("admin.showing", { shown: page.data.items.length, total: page.data.total })}</p>
      )}
      <Table<Item>
        rowKey="id"
        size="middle"
        loading={!page.data}
        dataSource={page.data?.items}
        columns={columns}
        scroll={{ x: "max-content" }}
        pagination={{ pageSize: 50, hideOnSinglePage: true, showSizeChanger: false }}
        data-testid="admin-table"
      />
    </>
  );
}

const DICTS = ["customer_type", "customer_grade", "customer_status", "customer_source", "industry", "region", "activity_outcome"];

function useColumns(section: Listed): TableColumnsType<Item> {
  const { t, users } = useCrm();
  const text = (name: string) => ({ title: t(`admin.${name}`), key: name, render: (_: unknown, r: Item) => String(r.fields[name] ?? "") });
  const active = {
    title: t("admin.active"),
    key: "active",
    render: (_: unknown, r: Item) =>
      r.fields.active === false ? <Tag>{t("admin.inactive")}</Tag> : <Tag color="green">{t("admin.active")}</Tag>,
  };
  switch (section) {
    case "users":
      return [
        text("display_name"),
        text("username"),
        { title: t("admin.role"), key: "role", render: (_, r) => <Tag color="blue">{t(`role.${r.fields.role}`)}</Tag> },
        { title: t("field.phones"), key: "phones", render: (_, r) => <PhoneLinks phones={(r.fields.phones as string[]) ?? []} /> },
        text("email"),
        active,
      ];
    case "teams":
      return [text("name"), { title: t("admin.supervisor"), key: "supervisor", render: (_, r) => userName(users, r.fields.supervisor) }];
    case "dictionary":
      return [
        { title: t("admin.dict"), key: "dict", render: (_, r) => t(`dict.${r.fields.dict}`) },
        text("code"),
        text("label_zh"),
        text("label_en"),
        text("sort_order"),
        active,
      ];
  }
}
