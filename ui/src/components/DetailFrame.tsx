import { ArrowLeftOutlined } from "@ant-design/icons";
import { Alert, Button } from "antd";
import type { ReactNode } from "react";
import { useNavigate } from "react-router-dom";
import type { RecordView } from "../api";
import { errorText } from "../errors";
import { useCrm } from "../state";
import { AwaitingNotice, RefusedNotices } from "./RecordStatus";

/// `data-*` attributes a screen puts on its page or its title for tests and styles.
type DataAttributes = { [key: `data-${string}`]: string | number | undefined };

/// A record page before its record is read: the reason it could not be (a record not found
/// included), or that it is being read.
export function DetailPending({ error }: { error: Error | null }) {
  const { t } = useCrm();
  if (error) return <Alert className="page" type="error" message={errorText(t, error)} />;
  return <p className="page muted">{t("common.loading")}</p>;
}

/// The one frame of every record page: back, the title with what it is and its state, the
/// actions, that it was deleted, a step awaiting the server and refusals put away, then the
/// page's own notices, its cards in the grid (one column at phone width), and its dialogs.
export function DetailFrame(props: {
  record: RecordView;
  testId: string;
  /// More `data-*` on the page (what it shows, for tests).
  data?: DataAttributes;
  title: ReactNode;
  titleTestId: string;
  titleClassName?: string;
  titleData?: DataAttributes;
  /// What the record is, in a line under the title.
  subtitle: ReactNode;
  /// The state tag after it.
  status?: ReactNode;
  actions: ReactNode;
  /// Notices of the page's own, after the record's state ones.
  notices?: ReactNode;
  gridClassName?: string;
  children: ReactNode;
  dialogs?: ReactNode;
}) {
  const { t } = useCrm();
  const navigate = useNavigate();
  const { record } = props;
  return (
    <div className="page detail" data-testid={props.testId} {...props.data}>
      <div className="page-head">
        <Button type="link" icon={<ArrowLeftOutlined />} onClick={() => navigate(-1)}>
          {t("common.back")}
        </Button>
      </div>
      <div className="detail-head">
        <div>
          <h1 className={props.titleClassName} data-testid={props.titleTestId} {...props.titleData}>
            {props.title}
          </h1>
          <p className="muted head-tags">
            <span>{props.subtitle}</span>
            {props.status}
          </p>
        </div>
        <div className="actions">{props.actions}</div>
      </div>
      {record.deleted_at && <Alert type="warning" showIcon message={t("detail.deleted")} />}
      <AwaitingNotice view={record} />
      <RefusedNotices view={record} />
      {props.notices}
      <div className={props.gridClassName ? `detail-grid ${props.gridClassName}` : "detail-grid"}>{props.children}</div>
      {props.dialogs}
    </div>
  );
}
