import { AimOutlined } from "@ant-design/icons";
import { Alert, Button, Input, Modal, Select } from "antd";
import { useMemo, useState } from "react";
import { useNavigate } from "react-router-dom";
import type { Place } from "../../api";
import { errorText } from "../../errors";
import { useCrm, useData } from "../../state";
import { currentPlace, parsePlace } from "./geo";
import { lastVisitType, loadVisitTypes, rememberVisitType, visitTypeName } from "./visitTypes";

/// "Start visit" on a customer's page: asks the browser where it is and checks in there; when
/// the browser gives no position it says so and the visit starts without a place (or at one
/// typed by hand). Then the visit's own screen opens. Where the admin keeps visit types, the kind
/// of visit is picked beside the button (the last one started here, or `visitType` when given);
/// none keeps the simple visit.
export function StartVisit({ customerId, visitType }: { customerId: string; visitType?: string }) {
  const { crm, t, lang } = useCrm();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState(false);
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<string | null>(null);
  const types = useData(() => loadVisitTypes(crm), []);
  const active = useMemo(() => (types.data ?? []).filter((v) => v.fields.active !== false), [types.data]);
  const [picked, setPicked] = useState<string | null | undefined>(undefined);
  // Until the person picks: the one asked for, else the last used while it is still offered.
  const wanted = visitType ?? lastVisitType();
  const type = picked !== undefined ? picked : active.some((v) => v.id === wanted) ? wanted : null;

  const checkIn = async (place: Place | null) => {
    setBusy(true);
    setError(null);
    try {
      const visit = await crm.checkIn(customerId, place, undefined, type);
      rememberVisitType(type);
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
      {active.length > 0 && (
        <Select
          size="large"
          className="visit-type-pick"
          aria-label={t("visit_type.pick")}
          value={type ?? ""}
          onChange={(v) => setPicked(v || null)}
          popupMatchSelectWidth={false}
          virtual={false}
          options={[
            { value: "", label: t("visit_type.none"), "data-value": "none" },
            ...active.map((v) => ({ value: v.id, label: visitTypeName(lang, v), "data-value": v.id })),
          ]}
          data-testid="start-visit-type"
        />
      )}
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
