// antd's theme and locale, following the app's language: antd's own words (date pickers,
// empty lists, confirmations) and dayjs's month and weekday names switch with it, whatever
// the browser's language is.

import { App as AntApp, ConfigProvider } from "antd";
import type { ThemeConfig } from "antd";
import enUS from "antd/locale/en_US";
import zhCN from "antd/locale/zh_CN";
import dayjs from "dayjs";
import "dayjs/locale/zh-cn";
import type { ReactNode } from "react";
import { useCrm } from "../state";

/// Touch first: every control is at least 44 px high on every screen size.
const THEME: ThemeConfig = {
  token: {
    colorPrimary: "#1565c0",
    borderRadius: 8,
    fontSize: 15,
    controlHeight: 44,
    controlHeightLG: 52,
    controlHeightSM: 44,
    fontFamily: 'system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif',
  },
  components: {
    Menu: { itemHeight: 44 },
    Layout: { headerHeight: 56, headerPadding: "0 16px", headerBg: "#fff", siderBg: "#fff", bodyBg: "#f4f6f8" },
  },
};

export function AppConfig({ children }: { children: ReactNode }) {
  const { lang } = useCrm();
  // Global, and set before any child renders a date.
  dayjs.locale(lang === "zh-CN" ? "zh-cn" : "en");
  return (
    <ConfigProvider locale={lang === "zh-CN" ? zhCN : enUS} theme={THEME} button={{ autoInsertSpace: false }}>
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}
