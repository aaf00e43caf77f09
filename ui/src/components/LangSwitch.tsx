import { Select } from "antd";
import { LANGS } from "../i18n";
import { useCrm } from "../state";

const NAMES = { "zh-CN": "中文", en: "English" } as const;

export function LangSwitch() {
  const { lang, setLang, t } = useCrm();
  return (
    <Select
      aria-label={t("lang.label")}
      data-testid="lang-switch"
      value={lang}
      onChange={setLang}
      options={LANGS.map((l) => ({ value: l, label: NAMES[l], "data-value": l }))}
      popupMatchSelectWidth={false}
      virtual={false}
    />
  );
}
