import { parseMarkdown } from "../markdown";

/// Markdown (headings, lists, paragraphs) as elements: every text is a React text node, so
/// whatever an article holds is shown, never run.
export function Markdown({ source, testId }: { source: string; testId?: string }) {
  return (
    <div className="markdown" data-testid={testId}>
      {parseMarkdown(source).map((b, i) => {
        if (b.type === "heading") {
          const H = `h${Math.min(6, b.level + 1)}` as "h2";
          return <H key={i}>{b.text}</H>;
        }
        if (b.type === "list") {
          const L = b.ordered ? "ol" : "ul";
          return (
            <L key={i}>
              {b.items.map((item, j) => (
                <li key={j}>{item}</li>
              ))}
            </L>
          );
        }
        return <p key={i}>{b.text}</p>;
      })}
    </div>
  );
}
