// Files in and out of the browser: a chosen spreadsheet read as base64 for the core, and a file
// the core or the server made (base64) saved through a download link.

/// The file's bytes as base64 (the core decides what they are from the bytes themselves).
export function readAsBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result ?? "");
      // A data URL: "data:<type>;base64,<data>".
      resolve(url.slice(url.indexOf(",") + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error("the file could not be read"));
    reader.readAsDataURL(file);
  });
}

/// Base64 back to bytes.
export function base64Bytes(data: string): Uint8Array<ArrayBuffer> {
  const binary = atob(data);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const TYPES: Record<string, string> = {
  csv: "text/csv;charset=utf-8",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

/// Save a file the core made under its own name, as the browser saves a download (its type
/// from its name's extension unless given).
export function saveBase64(name: string, data: string, type?: string): void {
  const ext = name.split(".").pop() ?? "";
  const blob = new Blob([base64Bytes(data)], { type: type || (TYPES[ext] ?? "application/octet-stream") });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoked after the browser has taken the file.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
