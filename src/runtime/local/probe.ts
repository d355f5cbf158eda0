/** One probe attempt: HTTP GET (2xx) or TCP connect, bounded by a timeout. */
import http from 'node:http';
import net from 'node:net';

/** Resolves true when the endpoint answered healthy within timeoutMs. Never rejects. */
export function probeOnce(kind: 'http' | 'tcp', port: number, path: string, timeoutMs: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(ok);
    };
    const timer = setTimeout(() => {
      finish(false);
      cleanup();
    }, timeoutMs);
    let cleanup: () => void = () => undefined;
    if (kind === 'tcp') {
      const sock = net.connect({ port, host });
      cleanup = () => sock.destroy();
      sock.once('connect', () => {
        sock.destroy();
        finish(true);
      });
      sock.once('error', () => finish(false));
      return;
    }
    // A fresh connection each time (agent: false): a probe must not ride a socket a dying server still holds.
    const req = http.get({ host, port, path, agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      finish((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300);
    });
    cleanup = () => req.destroy();
    req.once('error', () => finish(false));
  });
}
