// Where the device is, for a visit's check-in and check-out, and places written as text.
// Presentation only — the core validates a place (`invalid_place`) and measures distances.

import type { Json, Place } from "../../api";

/// How long to wait for the browser's position before starting without one.
export const POSITION_TIMEOUT_MS = 8000;

/// The device's position as a place (6 decimals, accuracy in whole metres), or null when the
/// browser gives none: no geolocation, permission denied, unavailable or too slow.
export function currentPlace(timeout = POSITION_TIMEOUT_MS): Promise<Place | null> {
  const geo = globalThis.navigator?.geolocation;
  if (!geo) return Promise.resolve(null);
  return new Promise((resolve) => {
    // Some browsers never call back when the question is left unanswered.
    const timer = setTimeout(() => resolve(null), timeout + 1000);
    geo.getCurrentPosition(
      (p) => {
        clearTimeout(timer);
        resolve({
          lat: round6(p.coords.latitude),
          lng: round6(p.coords.longitude),
          ...(Number.isFinite(p.coords.accuracy) ? { accuracy: Math.round(p.coords.accuracy) } : {}),
        });
      },
      () => {
        clearTimeout(timer);
        resolve(null);
      },
      { enableHighAccuracy: true, timeout, maximumAge: 60_000 },
    );
  });
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

/// A place typed by hand, "31.2304, 121.4737" (a comma, spaces or both between latitude and
/// longitude); null when it is not two numbers in range.
export function parsePlace(text: string): Place | null {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(?:[,，]\s*|\s+)(-?\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!m) return null;
  const lat = Number(m[1]);
  const lng = Number(m[2]);
  if (Math.abs(lat) > 90 || Math.abs(lng) > 180) return null;
  return { lat: round6(lat), lng: round6(lng) };
}

/// A stored place as "lat, lng" text ("" when there is none).
export function placeText(place: Json | undefined): string {
  if (!place || typeof place !== "object" || Array.isArray(place)) return "";
  const { lat, lng } = place as Record<string, Json>;
  if (lat === undefined || lat === null || lng === undefined || lng === null) return "";
  return `${lat}, ${lng}`;
}

/// A distance in metres as "320 m" or "1.2 km".
export function distanceText(metres: number): string {
  if (metres < 1000) return `${Math.round(metres)} m`;
  return `${(metres / 1000).toFixed(metres < 10_000 ? 1 : 0)} km`;
}
