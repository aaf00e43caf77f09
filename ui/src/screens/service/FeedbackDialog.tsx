import { Alert, Button, Input, Modal, Rate } from "antd";
import { useState } from "react";
import { errorText } from "../../errors";
import { useCrm, useData } from "../../state";
import { DEFAULT_REOPEN_BELOW, feedbackTransition } from "./model";

/// The customer's verdict on a handled request: 1–5 stars and a comment. Below the company's
/// `service.reopen_below` (default 3) the request is reopened for its assignee, otherwise it
/// is archived; the dialog says which before it is sent, and the core's refusal if it refuses.
export function FeedbackDialog({ id, onClose, onDone }: { id: string; onClose: () => void; onDone: () => void }) {
  const { crm, t } = useCrm();
  const setting = useData(() => crm.setting("service.reopen_below"), []);
  const threshold = setting.data ?? DEFAULT_REOPEN_BELOW;
  const [stars, setStars] = useState(0);
  const [comment, setComment] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const transition = stars > 0 ? feedbackTransition(stars, threshold) : null;

  const send = async () => {
    if (!transition) {
      setError(t("service.feedback_choose"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await crm.transition(id, transition, { satisfaction: stars, ...(comment.trim() ? { feedback: comment.trim() } : {}) });
      onDone();
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={t("service.feedback_title")}
      onCancel={onClose}
      footer={[
        <Button key="cancel" onClick={onClose}>
          {t("common.cancel")}
        </Button>,
        <Button key="ok" type="primary" loading={busy} onClick={() => void send()} data-testid="feedback-ok">
          {transition ? t(`transition.${transition}`) : t("common.ok")}
        </Button>,
      ]}
    >
      <div className="dialog-body" data-testid="feedback-dialog">
        <div className="form-field">
          <label>
            {t("field.satisfaction")}
            <span className="req"> *</span>
          </label>
          <Rate
            className="rate-big"
            value={stars}
            onChange={(v) => {
              setStars(v);
              setError(null);
            }}
            aria-label={t("field.satisfaction")}
            data-testid="feedback-stars"
          />
          {transition && (
            <p className="muted" data-testid="feedback-outcome" data-transition={transition}>
              {t(transition === "reopen" ? "service.feedback_reopen" : "service.feedback_archive", { threshold })}
            </p>
          )}
        </div>
        <div className="form-field">
          <label htmlFor="feedback-comment">{t("field.feedback")}</label>
          <Input.TextArea
            id="feedback-comment"
            autoSize={{ minRows: 3 }}
            maxLength={1000}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            data-testid="feedback-comment"
          />
        </div>
        {error && (
          <div data-testid="feedback-error">
            <Alert type="error" showIcon message={error} />
          </div>
        )}
      </div>
    </Modal>
  );
}
