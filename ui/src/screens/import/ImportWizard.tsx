// Importing a spreadsheet, step by step: choose the file and what it holds → check what the
// core would do (each column's target, the keys that find records already here and what to do
// with those, the counts, every refused row with its reasons) — every change asks the core
// again → import, with a progress bar fed by `import_progress` events → the result, with the
// refused rows to download and a way to revert.

import { InboxOutlined, PaperClipOutlined, SwapOutlined } from "@ant-design/icons";
import { Alert, Button, Card, Progress, Select, Upload } from "antd";
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";
import type { ImportBatch, ImportPolicy, ImportPreview, ImportRequest } from "../../api";
import { errorText } from "../../errors";
import { formatDateTime } from "../../i18n";
import { useCrm, useData } from "../../state";
import { BatchActions } from "./BatchActions";
import { readAsBase64 } from "../../files";
import { defaultKeys, importKinds, percent } from "./model";
import { ColumnMapping, MatchSettings, PlanRows } from "./PreviewParts";

interface Source {
  name: string;
  size: number;
  data: string;
}

interface Choices {
  kind: string;
  /// Each column's target as chosen here; null until one is changed (the core's guess).
  columns: (string | null)[] | null;
  /// null until the person ticks or unticks one (the defaults for the kind).
  keys: string[] | null;
  policy: ImportPolicy;
}

const START: Choices = { kind: "customer", columns: null, keys: null, policy: "skip" };

export function ImportWizard() {
  const { crm, t, schema } = useCrm();
  const [source, setSource] = useState<Source | null>(null);
  const [choices, setChoices] = useState<Choices>(START);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [batch, setBatch] = useState<ImportBatch | null>(null);
  const asked = useRef(0);

  const keys = choices.keys ?? defaultKeys(schema, choices.kind);
  const request: ImportRequest | null = source
    ? {
        kind: choices.kind,
        name: source.name,
        data: source.data,
        ...(choices.columns ? { columns: choices.columns } : {}),
        keys,
        policy: choices.policy,
      }
    : null;
  const requestKey = JSON.stringify([source?.name, source?.size, choices, keys]);

  // Ask the core again whenever the file or a choice changes; only the newest answer counts.
  useEffect(() => {
    if (!request || schema.length === 0 || batch) return;
    const mine = ++asked.current;
    setChecking(true);
    crm.importPreview(request).then(
      (p) => {
        if (mine !== asked.current) return;
        setPreview(p);
        setError(null);
        setChecking(false);
      },
      (e) => {
        if (mine !== asked.current) return;
        setPreview(null);
        setError(e);
        setChecking(false);
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [crm, requestKey, schema.length, source?.data]);

  const choose = async (file: File) => {
    setError(null);
    setPreview(null);
    setChoices((c) => ({ ...c, columns: null }));
    try {
      setSource({ name: file.name, size: file.size, data: await readAsBase64(file) });
    } catch (e) {
      setSource(null);
      setError(e);
    }
  };

  const run = async () => {
    if (!request || !preview) return;
    setProgress({ done: 0, total: preview.rows });
    setError(null);
    const stop = crm.listen((e) => {
      if (e.event === "import_progress") setProgress({ done: e.done, total: e.total });
    });
    try {
      const done = await crm.importRun(request);
      // The answer means every row was gone through, whichever event came last.
      setProgress({ done: preview.rows, total: preview.rows });
      setBatch(done);
    } catch (e) {
      setProgress(null);
      setError(e);
    } finally {
      stop();
    }
  };

  const again = () => {
    setSource(null);
    setPreview(null);
    setBatch(null);
    setProgress(null);
    setError(null);
    setChoices((c) => ({ ...START, kind: c.kind }));
  };

  const running = progress !== null && batch === null;

  if (batch) return <ImportResult batch={batch} progress={progress} again={again} />;

  return (
    <div className="import-steps">
      <Card title={t("import.step_file")} className="section">
        <div className="import-file-row">
          <div className="form-field import-kind">
            <label htmlFor="import-kind">{t("import.kind")}</label>
            <Select
              id="import-kind"
              value={choices.kind}
              disabled={running}
              onChange={(kind: string) => setChoices({ ...START, kind })}
              options={importKinds(schema).map((k) => ({ value: k, label: t(`kind.${k}`), "data-value": k }))}
              data-testid="import-kind"
            />
          </div>
        </div>
        <FilePicker source={source} disabled={running} choose={(f) => void choose(f)} />
        {error !== null && <Alert className="section" type="error" showIcon message={errorText(t, error)} data-testid="import-error" />}
      </Card>

      {source && !preview && !error && <p className="muted section">{t("import.checking")}</p>}

      {preview && (
        <>
          <Card
            title={t("import.step_columns")}
            className="section"
            extra={<span className="muted small">{t("import.rows_format", { rows: preview.rows, format: t(`import.format.${preview.format}`) })}</span>}
            data-testid="import-preview"
            data-checking={checking ? "1" : "0"}
          >
            <ColumnMapping
              preview={preview}
              columns={choices.columns ?? preview.columns.map((c) => c.target)}
              disabled={running}
              onChange={(columns) => setChoices((c) => ({ ...c, columns }))}
            />
          </Card>
          <Card title={t("import.step_match")} className="section">
            <MatchSettings
              offered={preview.keys}
              kind={preview.kind}
              keys={keys}
              policy={choices.policy}
              disabled={running}
              onKeys={(k) => setChoices((c) => ({ ...c, keys: k }))}
              onPolicy={(policy) => setChoices((c) => ({ ...c, policy }))}
            />
          </Card>
          <Card title={t("import.step_rows")} className="section">
            <PlanRows preview={preview} columns={choices.columns} />
          </Card>
          <Card className="section">
            {running ? (
              <RunProgress progress={progress} />
            ) : (
              <RunButton preview={preview} checking={checking} run={() => void run()} />
            )}
          </Card>
        </>
      )}
    </div>
  );
}

/// A large drop area until a file is chosen; then its name, with a button to choose another.
function FilePicker({ source, disabled, choose }: { source: Source | null; disabled: boolean; choose: (file: File) => void }) {
  const { t, lang } = useCrm();
  const props = {
    accept: ".xlsx,.xls,.csv",
    multiple: false,
    showUploadList: false,
    disabled,
    beforeUpload: (file: File) => {
      choose(file);
      return Upload.LIST_IGNORE;
    },
  };
  if (source) {
    return (
      <div className="import-chosen" data-testid="import-file">
        <span className="import-chosen-name">
          <PaperClipOutlined /> <strong>{source.name}</strong>{" "}
          <span className="muted">{new Intl.NumberFormat(lang, { style: "unit", unit: "kilobyte", maximumFractionDigits: 1 }).format(source.size / 1024)}</span>
        </span>
        <Upload {...props}>
          <Button icon={<SwapOutlined />} disabled={disabled}>
            {t("import.choose_other")}
          </Button>
        </Upload>
      </div>
    );
  }
  return (
    <div data-testid="import-file">
      <Upload.Dragger {...props}>
        <p className="ant-upload-drag-icon">
          <InboxOutlined />
        </p>
        <p>{t("import.choose_file")}</p>
        <p className="muted small">{t("import.file_hint")}</p>
      </Upload.Dragger>
    </div>
  );
}

function RunButton({ preview, checking, run }: { preview: ImportPreview; checking: boolean; run: () => void }) {
  const { t } = useCrm();
  const writes = preview.counts.create + preview.counts.update;
  return (
    <div className="import-run">
      {preview.counts.reject > 0 && <p className="muted">{t("import.rejected_hint", { count: preview.counts.reject })}</p>}
      {writes === 0 && <p className="muted">{t("import.nothing")}</p>}
      <Button type="primary" size="large" disabled={writes === 0 || checking} onClick={run} data-testid="import-run">
        {t("import.run", { count: writes })}
      </Button>
    </div>
  );
}

function RunProgress({ progress }: { progress: { done: number; total: number } | null }) {
  const { t } = useCrm();
  const done = progress?.done ?? 0;
  const total = progress?.total ?? 0;
  return (
    <div data-testid="import-progress" data-done={done} data-total={total}>
      <p>{t("import.running", { done, total })}</p>
      <Progress percent={percent(done, total)} status="active" />
    </div>
  );
}

/// What the import did, read again from the device's list of imports so a revert shows at once.
function ImportResult({ batch: ran, progress, again }: { batch: ImportBatch; progress: { done: number; total: number } | null; again: () => void }) {
  const { crm, t, lang } = useCrm();
  const listed = useData(() => crm.imports(), []);
  const batch = listed.data?.find((b) => b.id === ran.id) ?? ran;
  const done = progress?.done ?? 0;
  const total = progress?.total ?? 0;
  return (
    <Card title={t("import.step_done")} className="section" data-testid="import-result" data-batch={batch.id} data-reverted={batch.reverted_at ? "1" : "0"}>
      <div data-testid="import-progress" data-done={done} data-total={total}>
        <Progress percent={percent(done, total)} format={(p) => `${p}%`} />
      </div>
      <p data-testid="import-summary">
        {t("import.summary", { file: batch.file_name, created: batch.created, updated: batch.updated, skipped: batch.skipped, rejected: batch.rejected })}
      </p>
      {batch.reverted_at && (
        <Alert type="info" showIcon message={t("import.reverted_at", { time: formatDateTime(lang, batch.reverted_at) })} data-testid="import-reverted" />
      )}
      <div className="actions section">
        <BatchActions batch={batch} />
        {batch.kind === "customer" && !batch.reverted_at && (
          <Link className="more-link" to="/customers" data-testid="import-to-customers">
            {t("import.to_customers")}
          </Link>
        )}
        <Button onClick={again} data-testid="import-again">
          {t("import.again")}
        </Button>
      </div>
    </Card>
  );
}
