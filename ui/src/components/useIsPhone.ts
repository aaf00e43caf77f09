import { useEffect, useState } from "react";

const PHONE = "(max-width: 767px)";

/// Phone-sized window (the bottom tab bar instead of the side menu). Read at once, so the
/// first paint already has the right navigation.
export function useIsPhone(): boolean {
  const [phone, setPhone] = useState(() => globalThis.matchMedia?.(PHONE).matches ?? false);
  useEffect(() => {
    const query = matchMedia(PHONE);
    const on = () => setPhone(query.matches);
    query.addEventListener("change", on);
    return () => query.removeEventListener("change", on);
  }, []);
  return phone;
}
