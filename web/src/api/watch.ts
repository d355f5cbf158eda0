/**
 * Reads the watch API's newline-delimited JSON with fetch (EventSource cannot send the
 * Authorization header), resuming from the last resourceVersion when the stream ends.
 */
import { apiFetch, ApiError, type KubeObject } from './client.js';

/** One watch event. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

/**
 * Streams events of a collection from `resourceVersion` until the signal aborts or the stream
 * ends. Resolves with the last resourceVersion seen (to resume from); rejects with ApiError
 * when the server refuses (e.g. 410 Expired: the caller re-lists).
 */
export async function watchOnce(path: string, resourceVersion: string | undefined, onEvent: (ev: WatchEvent) => void, signal: AbortSignal): Promise<string | undefined> {
  const qs = new URLSearchParams({ watch: 'true' });
  if (resourceVersion) qs.set('resourceVersion', resourceVersion);
  const res = await apiFetch(`${path}?${qs}`, { signal, accept: 'application/json' });
  if (!res.body) throw new ApiError({ message: 'the browser gave no stream for the watch' }, 0);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let last = resourceVersion;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const ev = JSON.parse(line) as WatchEvent;
        if (ev.type === 'ERROR') {
          const st = ev.object as unknown as { code?: number; message?: string; reason?: string };
          throw new ApiError(st, st.code ?? 500);
        }
        if (ev.object?.metadata?.resourceVersion) last = ev.object.metadata.resourceVersion;
        if (ev.type !== 'BOOKMARK') onEvent(ev);
      }
    }
  } finally {
    reader.releaseLock();
  }
  return last;
}
