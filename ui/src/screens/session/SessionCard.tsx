import { Card } from "antd";
import type { ReactNode } from "react";
import { LangSwitch } from "../../components/LangSwitch";
import { useCrm } from "../../state";

/// The frame of the screens before anyone works in the app (sign-in, unlock): one card in the
/// middle of the window, the app's name and the language switch on top.
export function SessionCard({ children }: { children: ReactNode }) {
  const { t } = useCrm();
  return (
    <div className="signin-page">
      <Card className="signin-card">
        <div className="signin-head">
          <h1>{t("app.name")}</h1>
          <LangSwitch />
        </div>
        {children}
      </Card>
    </div>
  );
}
