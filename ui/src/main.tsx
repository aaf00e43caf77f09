import { createRoot } from "react-dom/client";
import { HashRouter } from "react-router-dom";
import { App } from "./App";
import { AppConfig } from "./components/AppConfig";
import { CrmProvider } from "./state";
import "./styles.css";

// Hash routes: the Tauri app loads the UI from a custom protocol, where only the part after
// `#` is ours to change.
const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <CrmProvider>
      <AppConfig>
        <HashRouter>
          <App />
        </HashRouter>
      </AppConfig>
    </CrmProvider>,
  );
}
