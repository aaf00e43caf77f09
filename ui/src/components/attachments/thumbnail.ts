// The small JPEG the app makes of a chosen image, for grids on every device that holds the
// record (the full file is fetched only when opened).

import { readAsBase64 } from "../../files";

/// The long side of a thumbnail, in pixels, and its JPEG quality.
const LONG_SIDE = 320;
const QUALITY = 0.7;

/// A thumbnail of an image file as base64 JPEG, or undefined when the browser cannot draw it
/// (a PDF, a HEIC photo, bytes that are no image — the core then says what the file is).
export async function thumbnailOf(file: File): Promise<string | undefined> {
  if (!file.type.startsWith("image/")) return undefined;
  try {
    const image = await createImageBitmap(file);
    const scale = Math.min(1, LONG_SIDE / Math.max(image.width, image.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(image.width * scale));
    canvas.height = Math.max(1, Math.round(image.height * scale));
    canvas.getContext("2d")?.drawImage(image, 0, 0, canvas.width, canvas.height);
    image.close();
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
    return blob ? await readAsBase64(blob) : undefined;
  } catch {
    return undefined;
  }
}
