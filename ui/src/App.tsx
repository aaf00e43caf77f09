import { useEffect } from "react";
import { LANGS } from "./i18n";
import type { Lang } from "./i18n";
import { navigate, useCrm, useRoute } from "./state";
import { SyncIndicator } from "./components/SyncIndicator";
import { SignIn } from "./screens/SignIn";
import { Home } from "./screens/Home";
import { Customers } from "./screens/Customers";
import { CustomerDetail } from "./screens/CustomerDetail";
import { RecordForm } from "./screens/RecordForm";
import { LogVisit } from "./screens/LogVisit";
import { Pipeline } from "./screens/Pipeline";
import { SyncScreen } from "./screens/SyncScreen";

const NAV: { route: string; key: string; icon: string }[] = [
  { route: "home", key: "nav.home", icon: "⌂" },
  { route: "customers", key: "nav.customers", icon: "☰" },
  { route: "pipeline", key: "nav.pipeline", icon: "▥" },
  { route: "sync", key: "nav.sync", icon: "⇅" },
];

export function LangSwitch() {
  const { lang, setLang, t } = useCrm();
  return (
    <select
      className="lang"
      aria-label={t("lang.label")}
      data-testid="lang-switch"
      value={lang}
      onChange={(e) => setLang(e.target.value as Lang)}
    >
      {LANGS.map((l) => (
        <option key={l} value={l}>
          {l === "zh-CN" ? "中文" : "English"}
        </option>
      ))}
    </select>
  );
}

function Screen({ route }: { route: string[] }) {
  const [name, a, b] = route;
  switch (name) {
    case "customers":
      return a ? <CustomerDetail id={a} /> : <Customers />;
    case "new":
      // #/new/<kind>[/<customer id>]
      return <RecordForm kind={a} customerId={b} />;
    case "edit":
      // #/edit/<kind>/<id>
      return <RecordForm kind={a} id={b} />;
    case "visit":
      return <LogVisit customerId={a} />;
    case "pipeline":
      return <Pipeline />;
    case "sync":
      return <SyncScreen />;
    default:
      return <Home />;
  }
}

export function App() {
  const { status, t, toastMessage } = useCrm();
  const route = useRoute();

  useEffect(() => {
    document.title = t("app.name");
  }, [t]);

  if (!status) return <div className="splash">{t("common.loading")}</div>;
  if (status.mode === "first_run" || status.mode === "signed_out") return <SignIn />;

  return (
    <div className="shell">
      <header className="topbar">
        <a className="brand" href="#/home">
          {t("app.name")}
        </a>
        <div className="topbar-right">
          <SyncIndicator />
          <LangSwitch />
        </div>
      </header>
      <nav className="nav" aria-label="main">
        {NAV.map((n) => (
          <a
            key={n.route}
            href={`#/${n.route}`}
            className={route[0] === n.route || (n.route === "home" && route[0] === "home") ? "active" : ""}
            data-testid={`nav-${n.route}`}
            onClick={(e) => {
              e.preventDefault();
              navigate(n.route);
            }}
          >
            <span className="nav-icon" aria-hidden>
              {n.icon}
            </span>
            <span>{t(n.key)}</span>
          </a>
        ))}
      </nav>
      <main className="content">
        <Screen route={route} />
      </main>
      {toastMessage && (
        <div className="toast" role="status">
          {toastMessage}
        </div>
      )}
    </div>
  );
}
