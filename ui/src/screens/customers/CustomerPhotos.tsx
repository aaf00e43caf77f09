import { Card } from "antd";
import type { AttachmentEntry, Item } from "../../api";
import { formatDateTime } from "../../i18n";
import { useCrm } from "../../state";
import { Attachments } from "../../components/attachments/Attachments";

/// The customer page's photos: its own (the shop front; added here) and those of its visits,
/// expenses and service requests on this device, each saying where it came from.
export function CustomerPhotos({
  customerId,
  canAdd,
  activities,
  requests,
}: {
  customerId: string;
  canAdd: boolean;
  activities: Item[];
  requests: Item[];
}) {
  const { t, lang } = useCrm();
  const labelOf = (entry: AttachmentEntry) => {
    if (entry.kind === "activity") {
      const time = activities.find((a) => a.id === entry.record)?.fields.time;
      return t("attachments.from_visit", { date: formatDateTime(lang, typeof time === "string" ? time : entry.item.taken_at) });
    }
    if (entry.kind === "expense") return t("attachments.from_expense");
    if (entry.kind === "service_request") {
      const title = requests.find((r) => r.id === entry.record)?.fields.title;
      return t("attachments.from_service", { title: typeof title === "string" ? title : "" });
    }
    return t("attachments.from_customer");
  };
  return (
    <Card title={t("attachments.photos")} data-testid="customer-photos">
      <Attachments record={customerId} field="photos" canEdit={canAdd} all labelOf={labelOf} />
    </Card>
  );
}
