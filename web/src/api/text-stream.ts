/**
 * Follows a text stream (a replica's log with ?follow=true) with fetch and a stream reader, keeping only the last
 * `maxLines` lines in memory so a chatty replica cannot grow the page without bound.
 */
import { useEffect, useState } from 'react';
import { apiFetch, errorText } from './client.js';

/** What a followed log looks like right now. */
export interface TextStreamState {
  lines: string[];
  /** Lines dropped from the front to stay within the bound. */
  dropped: number;
  error?: string;
  /** The server closed the stream (the replica ended, or the job finished). */
  ended: boolean;
  connected: boolean;
}

/** Appends a decoded chunk to the kept lines; `carry` is the unfinished last line (pure). */
export function appendChunk(lines: string[], carry: string, chunk: string, maxLines: number): { lines: string[]; carry: string; dropped: number } {
  const parts = (carry + chunk).split('\n');
  const rest = parts.pop() ?? '';
  const all = parts.length ? lines.concat(parts) : lines;
  const over = Math.max(0, all.length - maxLines);
  // A line without newline that keeps growing is cut, like the server's own metric reader does.
  return { lines: over ? all.slice(over) : all, carry: rest.length > 65536 ? rest.slice(-65536) : rest, dropped: over };
}

/** Streams `path` while it is set; a new path starts over. */
export function useTextStream(path: string | undefined, maxLines = 2000): TextStreamState {
  const [state, setState] = useState<TextStreamState>({ lines: [], dropped: 0, ended: false, connected: false });
  useEffect(() => {
    setState({ lines: [], dropped: 0, ended: false, connected: false });
    if (!path) return;
    const ac = new AbortController();
    let lines: string[] = [];
    let carry = '';
    let dropped = 0;
    let pending = false;
    // Many small chunks arrive at once: render at most once per animation frame.
    const flush = () => {
      pending = false;
      const shown = carry ? lines.concat(carry) : lines;
      setState((s) => ({ ...s, lines: shown, dropped }));
    };
    (async () => {
      try {
        const res = await apiFetch(path, { signal: ac.signal, accept: 'text/plain' });
        setState((s) => ({ ...s, connected: true, error: undefined }));
        if (!res.body) throw new Error('the browser gave no stream for the log');
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const r = appendChunk(lines, carry, value, maxLines);
          lines = r.lines;
          carry = r.carry;
          dropped += r.dropped;
          if (!pending) {
            pending = true;
            requestAnimationFrame(flush);
          }
        }
        flush();
        setState((s) => ({ ...s, ended: true, connected: false }));
      } catch (err) {
        if (ac.signal.aborted) return;
        setState((s) => ({ ...s, error: errorText(err), connected: false }));
      }
    })();
    return () => ac.abort();
  }, [path, maxLines]);
  return state;
}
