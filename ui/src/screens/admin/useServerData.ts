// Data read from the server's administration API. Unlike `useData` it is not read again on
// every local change (each read is a round trip to the server): a section reloads it after
// its own changes, and the person can ask again.

import { useCallback, useEffect, useState } from "react";

export interface ServerData<D> {
  data: D | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/// Load `load()` now, whenever `deps` change and on `reload()`; what was read stays shown
/// while the next read is under way.
export function useServerData<D>(load: () => Promise<D>, deps: unknown[]): ServerData<D> {
  const [data, setData] = useState<D | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (!live) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data, error, loading, reload };
}
