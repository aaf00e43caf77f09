import { createRoot } from "react-dom/client";
import { App } from "./App";
import { CrmProvider } from "./state";
import "./styles.css";

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <CrmProvider>
      <App />
    </CrmProvider>,
  );
}
