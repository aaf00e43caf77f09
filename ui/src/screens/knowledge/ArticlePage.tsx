import { ArrowLeftOutlined, EditOutlined, PushpinFilled } from "@ant-design/icons";
import { Alert, Button, Card, Tag } from "antd";
import { useNavigate } from "react-router-dom";
import { errorText } from "../../errors";
import { dictLabel, formatDateTime } from "../../i18n";
import { useCrm, useData } from "../../state";
import { Markdown } from "../../components/Markdown";
import { AwaitingNotice, RefusedNotices } from "../../components/RecordStatus";

/// One article: its title, category, tags and Markdown body; Edit where `permissions` allows
/// it (supervisors and admins).
export function ArticlePage({ id }: { id: string }) {
  const { crm, t, lang, dicts } = useCrm();
  const navigate = useNavigate();
  const view = useData(() => crm.get(id), [id]);
  const permissions = useData(() => crm.permissions(id), [id]);
  if (view.error) return <Alert className="page" type="error" message={errorText(t, view.error)} />;
  if (!view.data) return <p className="page muted">{t("common.loading")}</p>;
  const r = view.data;
  const f = r.fields;
  const canEdit = !r.deleted_at && (permissions.data?.actions ?? []).includes("update");
  return (
    <div className="page detail article" data-testid="article">
      <div className="page-head">
        <Button type="link" icon={<ArrowLeftOutlined />} onClick={() => navigate(-1)}>
          {t("common.back")}
        </Button>
        {canEdit && (
          <Button icon={<EditOutlined />} onClick={() => navigate(`/edit/article/${id}`)} data-testid="edit-article">
            {t("common.edit")}
          </Button>
        )}
      </div>
      <h1 data-testid="article-title">{String(f.title ?? "")}</h1>
      <p className="muted head-tags">
        {f.pinned === true && (
          <Tag icon={<PushpinFilled />} color="gold">
            {t("field.pinned")}
          </Tag>
        )}
        {f.category ? <Tag color="blue">{dictLabel(lang, dicts, "article_category", f.category)}</Tag> : null}
        {Array.isArray(f.tags) && f.tags.map((x) => <Tag key={String(x)}>{String(x)}</Tag>)}
        <span className="small">{t("knowledge.updated", { time: formatDateTime(lang, r.updated_at) })}</span>
      </p>
      <AwaitingNotice view={r} />
      <RefusedNotices view={r} />
      <Card>
        <Markdown source={String(f.body ?? "")} testId="article-body" />
      </Card>
    </div>
  );
}
