/**
 * Streams a watch to an HTTP client: newline-delimited JSON `{"type","object"}` (what kubectl
 * and client-go read) or, when the client accepts text/event-stream, SSE for browsers. A slow
 * consumer is cut off rather than buffered without bound.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { WatchEvent } from '../store/object-store.js';

/** Most bytes buffered for one slow watcher before the watch is closed (the client re-lists). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const SSE_HEARTBEAT_MS = 15_000;

type Subscribe = (onEvent: (ev: WatchEvent) => void, onError: (err: Error) => void) => Promise<() => void>;

/** Starts the subscription (errors before streaming become normal Status replies), then streams. */
export async function streamWatch(req: FastifyRequest, reply: FastifyReply, log: Logger, subscribe: Subscribe, timeoutSeconds?: number): Promise<void> {
  const sse = String(req.headers.accept ?? '').includes('text/event-stream');
  const res = reply.raw;
  let started = false;
  let closed = false;
  const early: WatchEvent[] = [];
  let unsubscribe: (() => void) | undefined;
  const timers: NodeJS.Timeout[] = [];
  const finish = () => {
    if (closed) return;
    closed = true;
    unsubscribe?.();
    for (const t of timers) clearTimeout(t), clearInterval(t);
    if (started) res.end();
  };
  const write = (ev: WatchEvent) => {
    if (closed) return;
    const line = JSON.stringify(ev);
    res.write(sse ? `event: ${ev.type}\ndata: ${line}\n\n` : `${line}\n`);
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      log.warn({ buffered: res.writableLength }, 'closing a watch whose client does not keep up');
      finish();
    }
  };
  unsubscribe = await subscribe(
    (ev) => (started ? write(ev) : early.push(ev)),
    (err) => {
      log.warn({ err }, 'watch ended by the store');
      finish();
    },
  );
  reply.hijack();
  res.writeHead(200, {
    'content-type': sse ? 'text/event-stream' : 'application/json',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  started = true;
  for (const ev of early.splice(0)) write(ev);
  req.raw.on('close', finish);
  res.on('error', finish);
  if (sse) timers.push(setInterval(() => !closed && res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS));
  if (timeoutSeconds !== undefined) timers.push(setTimeout(finish, timeoutSeconds * 1000));
}
