import { AimOutlined } from "@ant-design/icons";
import { Alert, Button, Input, Modal } from "antd";
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import type { Place } from "../../api";
import { errorText } from "../../errors";
import { useCrm } from "../../state";
import { currentPlace, parsePlace } from "./geo";

/// "Start visit" on a customer's page: asks the browser where it is and checks in there; when
/// the browser gives no position it says so and the visit starts without a place (or at one
/// typed by hand). Then the visit's own screen opens.
export function StartVisit({ customerId }: { customerId: string }) {
  const { crm, t } = useCrm();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState(false);
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<string | null>(null);

  const checkIn = async (place: Place | null) => {
    setBusy(true);
    setError(null);
    try {
      const visit = await crm.checkIn(customerId, place);
      navigate(`/activity/${visit.id}`);
    } catch (e) {
      setError(errorText(t, e));
      setAsking(true);
    } finally {
      setBusy(false);
    }
  };

  const start = async () => {
    setBusy(true);
    const place = await currentPlace();
    if (place) return checkIn(place);
    setBusy(false);
    setAsking(true);
  };

  const manual = typed.trim() === "" ? null : parsePlace(typed);
  const badTyped = typed.trim() !== "" && !manual;
  return (
    <>
      <Button type="primary" icon={<AimOutlined />} loading={busy && !asking} onClick={start} data-testid="start-visit">
        {t("checkin.start")}
      </Button>
      <Modal
        open={asking}
        title={t("checkin.start")}
        onCancel={() => setAsking(false)}
        okText={manual ? t("checkin.start_here") : t("checkin.start_without")}
        okButtonProps={{ disabled: badTyped, loading: busy, size: "large", ...({ "data-testid": "start-visit-confirm" } as object) }}
        cancelButtonProps={{ size: "large" }}
        onOk={() => checkIn(manual)}
        destroyOnClose
      >
        <Alert type="warning" showIcon message={t("checkin.no_position")} data-testid="start-visit-no-position" />
        <label className="block">
          {t("checkin.type_place")}
          <Input
            size="large"
            inputMode="decimal"
            placeholder="31.230416, 121.473701"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            status={badTyped ? "error" : undefined}
            data-testid="start-visit-place"
          />
        </label>
        {badTyped && <p className="field-error">{t("error.invalid_place")}</p>}
        {error && <Alert type="error" showIcon message={error} role="alert" />}
      </Modal>
    </>
  );
}
