/**
 * Polls a JSON URL while the tab is visible. Only the live charts use this (their data is a rolling
 * history the server samples every 2 s, not objects with a watch); everything else uses the watch API.
 */
import { useEffect, useState } from 'react';
import { apiJson, errorText } from '../api/client.js';

/** The last answer and error of a polled URL. */
export function usePolling<T>(path: string | undefined, everyMs: number): { data?: T; error?: string } {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  useEffect(() => {
    setState({});
    if (!path) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let ac: AbortController | undefined;
    let stopped = false;
    const tick = async () => {
      timer = undefined;
      if (stopped) return;
      if (document.visibilityState === 'visible') {
        ac = new AbortController();
        try {
          const data = await apiJson<T>(path, { signal: ac.signal });
          if (!stopped) setState({ data });
        } catch (err) {
          if (!stopped && (err as Error).name !== 'AbortError') setState((s) => ({ ...s, error: errorText(err) }));
        }
      }
      if (!stopped) timer = setTimeout(tick, everyMs);
    };
    const onVisible = () => {
      if (document.visibilityState === 'visible' && timer !== undefined) {
        clearTimeout(timer);
        void tick();
      }
    };
    document.addEventListener('visibilitychange', onVisible);
    void tick();
    return () => {
      stopped = true;
      ac?.abort();
      if (timer !== undefined) clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [path, everyMs]);
  return state;
}
