import { PhoneOutlined } from "@ant-design/icons";

/// Phone numbers as tap-to-call links (`tel:` keeps `+` and digits only).
export function PhoneLinks({ phones }: { phones: string[] }) {
  return (
    <span className="phones">
      {phones.map((p) => (
        <a key={p} className="tel-link" href={`tel:${p.replace(/[^\d+]/g, "")}`} data-testid="tel-link">
          <PhoneOutlined aria-hidden /> {p}
        </a>
      ))}
    </span>
  );
}
