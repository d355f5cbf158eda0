/** A free TCP port on 127.0.0.1, found by binding port 0 and releasing it. */
import net from 'node:net';

/** Returns a port that was free a moment ago (a clash later makes the process exit and restart on a new one). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
