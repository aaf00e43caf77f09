import { EnvironmentOutlined } from "@ant-design/icons";
import { Tag } from "antd";
import type { Fields } from "../../api";
import { formatDateTime } from "../../i18n";
import { useCrm } from "../../state";
import { distanceText, placeText } from "./geo";

/// Whether an activity was started by a check-in.
export const checkedIn = (f: Fields) => typeof f.check_in_at === "string" && f.check_in_at !== "";

/// A checked-in visit's facts: when and where it was checked in and out, how far from the
/// customer (marked when far), and how long it lasted. Nothing for an activity logged by hand.
export function CheckInFacts({ fields: f, compact = false }: { fields: Fields; compact?: boolean }) {
  const { t, lang } = useCrm();
  if (!checkedIn(f)) return null;
  const where = (place: Fields[string]) => {
    const text = placeText(place);
    return text ? t("checkin.at_place", { place: text }) : t("checkin.no_place");
  };
  const distance = typeof f.check_in_distance_m === "number" ? distanceText(f.check_in_distance_m) : null;
  return (
    <div className={compact ? "checkin-facts compact muted small" : "checkin-facts"} data-testid="checkin-facts">
      <p data-testid="checkin-in">
        <EnvironmentOutlined aria-hidden /> {t("checkin.checked_in", { time: formatDateTime(lang, f.check_in_at as string) })} · {where(f.check_in_place)}
      </p>
      {(distance || f.check_in_far === true) && (
        <p>
          {distance && <span data-testid="checkin-distance">{t("checkin.distance", { distance })}</span>}{" "}
          {f.check_in_far === true && (
            <Tag color="red" data-testid="checkin-far">
              {t("checkin.far")}
            </Tag>
          )}
        </p>
      )}
      {typeof f.check_out_at === "string" && f.check_out_at !== "" ? (
        <p data-testid="checkin-out">
          {t("checkin.checked_out", { time: formatDateTime(lang, f.check_out_at) })} · {where(f.check_out_place)}
          {typeof f.duration_minutes === "number" && <> · {t("visit.minutes", { minutes: f.duration_minutes })}</>}
        </p>
      ) : (
        <p>
          <Tag color="processing" data-testid="checkin-open">
            {t("checkin.in_progress")}
          </Tag>
        </p>
      )}
    </div>
  );
}
