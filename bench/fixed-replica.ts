/** A child-process role for gateway benchmarks: a replica answering one fixed OIP response after reading the body, reporting its port over IPC. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Starts the replica and sends `{ port }` to the parent. */
export async function runFixedReplica(answer: string): Promise<void> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
      res.end(answer);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.send?.({ port: (server.address() as AddressInfo).port });
}
