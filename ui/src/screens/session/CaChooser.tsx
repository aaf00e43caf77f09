import { DeleteOutlined, DownOutlined, RightOutlined, SafetyCertificateOutlined, UploadOutlined } from "@ant-design/icons";
import { Button } from "antd";
import { useRef, useState } from "react";
import type { ChangeEvent } from "react";
import type { T } from "../../i18n";
import { useCrm } from "../../state";
import { CA_FILE_TYPES, caFileProblem, holdsPemCertificate } from "./serverTrust";
import type { CaFileProblem } from "./serverTrust";

/// The company's CA certificate as chosen: its name, its text once read, and what is wrong
/// with it (the form does not send a file with a problem).
export type CaFile = { name: string; text: string; problem: CaFileProblem | "unreadable" | null };

/// A chosen file read as a CA certificate: its name and size are checked first, so a large or
/// wrong file is never read.
async function readCaFile(file: File): Promise<CaFile> {
  const problem = caFileProblem(file.name, file.size);
  if (problem) return { name: file.name, text: "", problem };
  try {
    const text = await file.text();
    return { name: file.name, text, problem: holdsPemCertificate(text) ? null : "no_certificate" };
  } catch {
    return { name: file.name, text: "", problem: "unreadable" };
  }
}

/// What is wrong with a chosen CA file, in words.
export function caProblemText(t: T, problem: CaFile["problem"]): string | null {
  switch (problem) {
    case "wrong_type":
      return t("signin.ca_wrong_type");
    case "too_large":
      return t("signin.ca_too_large");
    case "no_certificate":
      return t("signin.ca_no_certificate");
    case "unreadable":
      return t("signin.ca_unreadable");
    default:
      return null;
  }
}

/// The optional company CA certificate, behind an "advanced" disclosure: most people sign in
/// to a server with a publicly trusted certificate and never open it.
export function CaChooser({ value, onChange }: { value: CaFile | null; onChange: (file: CaFile | null) => void }) {
  const { t } = useCrm();
  const [open, setOpen] = useState(value !== null);
  const input = useRef<HTMLInputElement>(null);
  const problem = caProblemText(t, value?.problem ?? null);
  // A file the form will not send stays in view until it is fixed or removed.
  const expanded = open || problem !== null;

  const chosen = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    // The same file chosen again (after fixing it) is a change too.
    e.target.value = "";
    if (file) onChange(await readCaFile(file));
  };

  return (
    <div className="signin-advanced">
      <Button
        type="link"
        size="small"
        className="signin-advanced-toggle"
        icon={expanded ? <DownOutlined /> : <RightOutlined />}
        aria-expanded={expanded}
        aria-controls="signin-advanced-panel"
        onClick={() => setOpen(!expanded)}
        data-testid="signin-advanced"
      >
        {t("signin.advanced")}
      </Button>
      {expanded && (
        <div className="signin-ca" id="signin-advanced-panel" data-testid="signin-ca">
          <span className="signin-ca-title">{t("signin.ca")}</span>
          <span className="muted small">{t("signin.ca_hint")}</span>
          <input
            ref={input}
            type="file"
            accept={CA_FILE_TYPES.join(",")}
            hidden
            onChange={chosen}
            data-testid="ca-input"
          />
          {value ? (
            <div className="signin-ca-file">
              <SafetyCertificateOutlined />
              <span className="signin-ca-name" data-testid="ca-name" title={value.name}>
                {value.name}
              </span>
              <Button size="small" onClick={() => input.current?.click()} data-testid="ca-replace">
                {t("signin.ca_replace")}
              </Button>
              <Button size="small" icon={<DeleteOutlined />} onClick={() => onChange(null)} data-testid="ca-remove">
                {t("signin.ca_remove")}
              </Button>
            </div>
          ) : (
            <Button icon={<UploadOutlined />} onClick={() => input.current?.click()} data-testid="ca-choose">
              {t("signin.ca_choose")}
            </Button>
          )}
          {problem && (
            <p className="error" role="alert" data-testid="ca-problem">
              {problem}
            </p>
          )}
        </div>
      )}
    </div>
  );
}
