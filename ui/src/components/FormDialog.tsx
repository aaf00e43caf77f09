// The shape every dialog that saves has (administration, a payment, an invoice request): a modal
// whose OK button saves (busy meanwhile) and that stays open on a refusal, shown under its boxes
// (each a `FormField`).

import { Alert, Modal } from "antd";
import type { ButtonProps } from "antd";
import type { ReactNode } from "react";
import { errorText, needsServer } from "../errors";
import { useCrm } from "../state";

export function FormDialog({
  title,
  okText,
  onOk,
  onClose,
  busy,
  okDisabled = false,
  danger = false,
  testId,
  refusal,
  children,
}: {
  title: string;
  /// The OK button's words; "save" without them.
  okText?: string;
  onOk: () => void;
  onClose: () => void;
  busy: boolean;
  okDisabled?: boolean;
  /// The OK button in red: it does what cannot be undone.
  danger?: boolean;
  /// The test ids of the OK button and of the dialog's body.
  testId: { ok: string; form: string };
  /// What was refused, under the boxes: words already, or an error to put in words.
  refusal?: unknown;
  children: ReactNode;
}) {
  const { t } = useCrm();
  return (
    <Modal
      open
      title={title}
      okText={okText ?? t("common.save")}
      cancelText={t("common.cancel")}
      onOk={onOk}
      onCancel={onClose}
      confirmLoading={busy}
      okButtonProps={{ danger, disabled: okDisabled, "data-testid": testId.ok } as ButtonProps}
      destroyOnClose
    >
      <div className="dialog-body" data-testid={testId.form}>
        {children}
        {refusal ? (
          <Alert
            type="error"
            showIcon
            message={typeof refusal === "string" ? refusal : errorText(t, refusal)}
            description={needsServer(refusal) ? t("admin.needs_server") : undefined}
            data-testid="dialog-error"
          />
        ) : null}
      </div>
    </Modal>
  );
}
