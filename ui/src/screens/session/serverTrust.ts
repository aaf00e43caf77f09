// How the sign-in screen reaches the company's server safely: the address as the core wants
// it, and the company's own CA certificate the device may pin. The core makes the decisions
// (it refuses plain http:// to another machine and a certificate it cannot trust); this only
// spares people a refusal they could not understand.

/// "192.168.1.5:7878" is what people type: the scheme is added for them. https:// unless the
/// server is on this machine (localhost, 127.x.x.x, [::1]), the one place the core allows http://.
export function serverAddress(typed: string): string {
  const address = typed.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) return address;
  return `${onThisMachine(hostOf(address)) ? "http" : "https"}://${address}`;
}

/// The host part of an address typed without a scheme: "[::1]" for "[::1]:7878",
/// "localhost" for "LocalHost:7878/path".
function hostOf(address: string): string {
  if (address.startsWith("[")) {
    const end = address.indexOf("]");
    return end < 0 ? address.toLowerCase() : address.slice(0, end + 1).toLowerCase();
  }
  return address.split(/[:/?#]/, 1)[0].toLowerCase();
}

function onThisMachine(host: string): boolean {
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/// The file kinds an administrator hands out a CA certificate as.
export const CA_FILE_TYPES = [".pem", ".crt", ".cer"];

/// A CA file is a few kilobytes; anything much larger is not one, and is not read.
export const CA_MAX_BYTES = 256 * 1024;

/// Why a chosen file cannot be the company's CA certificate, before it is read.
export type CaFileProblem = "wrong_type" | "too_large" | "no_certificate";

/// Whether a file, by its name and size, may be a CA certificate.
export function caFileProblem(name: string, size: number): CaFileProblem | null {
  const lower = name.toLowerCase();
  if (!CA_FILE_TYPES.some((ext) => lower.endsWith(ext))) return "wrong_type";
  if (size > CA_MAX_BYTES) return "too_large";
  return null;
}

/// Whether a file's text holds a certificate in PEM form. A binary (DER) .cer does not: the
/// core takes PEM text only.
export function holdsPemCertificate(text: string): boolean {
  return text.includes("-----BEGIN CERTIFICATE-----");
}
