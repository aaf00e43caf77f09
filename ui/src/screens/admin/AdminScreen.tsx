// Administration (admins only), one section per tab and per address (#/admin/<section>). On the
// server, through this device's sign-in: accounts, devices, the audit log, backups and export.
// Records like any other, written here and synced: teams' supervisors, dictionaries, visit
// types, custom fields, company settings and grade rules.

import { Tabs } from "antd";
import type { ReactNode } from "react";
import { useNavigate, useParams } from "react-router-dom";
import { useCrm } from "../../state";
import { Audit } from "./Audit";
import { Backups } from "./Backups";
import { CustomFields } from "./CustomFields";
import { Devices } from "./Devices";
import { Dictionary } from "./Dictionary";
import { Export } from "./Export";
import { Settings } from "./Settings";
import { Teams } from "./Teams";
import { Users } from "./Users";
import { VisitTypes } from "./VisitTypes";

/// The sections in the order of the tabs and the side menu (components/Navigation.tsx `ADMIN`).
export const SECTIONS = ["users", "devices", "teams", "dictionary", "visit_types", "custom_fields", "settings", "audit", "backups", "export"] as const;

type Section = (typeof SECTIONS)[number];

const SCREENS: Record<Section, () => ReactNode> = {
  users: () => <Users />,
  devices: () => <Devices />,
  teams: () => <Teams />,
  dictionary: () => <Dictionary />,
  visit_types: () => <VisitTypes />,
  custom_fields: () => <CustomFields />,
  settings: () => <Settings />,
  audit: () => <Audit />,
  backups: () => <Backups />,
  export: () => <Export />,
};

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
        items={SECTIONS.map((s) => ({ key: s, label: <span data-testid={`admin-tab-${s}`}>{t(`nav.admin_${s}`)}</span> }))}
      />
      <div key={section}>{SCREENS[section]()}</div>
    </div>
  );
}
