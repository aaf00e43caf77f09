import { useEffect, useState } from "react";

const PHONE = "(max-width: 767px)";
/// Phones and tablets held upright: too narrow for a wide table's buttons to carry words.
const NARROW = "(max-width: 1023px)";

/// Whether the window matches a media query, read at once (so the first paint is right) and
/// followed as the window changes.
function useMedia(query: string): boolean {
  const [matches, setMatches] = useState(() => globalThis.matchMedia?.(query).matches ?? false);
  useEffect(() => {
    const list = matchMedia(query);
    const on = () => setMatches(list.matches);
    on();
    list.addEventListener("change", on);
    return () => list.removeEventListener("change", on);
  }, [query]);
  return matches;
}

/// Phone-sized window (the bottom tab bar instead of the side menu).
export function useIsPhone(): boolean {
  return useMedia(PHONE);
}

/// A window narrower than a tablet held sideways (phones included).
export function useIsNarrow(): boolean {
  return useMedia(NARROW);
}
