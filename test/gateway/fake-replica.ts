/** Test fixtures: small real HTTP servers answering OIP-shaped JSON like a model replica, and a tiny HTTP client. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A fake replica with counters and an optional gate that holds requests until released. */
export interface FakeReplica {
  id: string;
  url: string;
  /** Requests received, in order, as "METHOD path". */
  seen: string[];
  inFlight: number;
  maxInFlight: number;
  /** When set, requests wait for it before answering. */
  gate: Promise<void> | null;
  /** Creates a new gate; the returned function opens it. */
  hold(): () => void;
  close(): Promise<void>;
}

/** Starts a fake replica serving `modelName` on 127.0.0.1 with an ephemeral port. */
export async function startFakeReplica(id: string, modelName: string, opts: { delayMs?: number } = {}): Promise<FakeReplica> {
  const replica: FakeReplica = {
    id,
    url: '',
    seen: [],
    inFlight: 0,
    maxInFlight: 0,
    gate: null,
    hold() {
      let open = (): void => {};
      replica.gate = new Promise<void>((r) => (open = r));
      return () => {
        replica.gate = null;
        open();
      };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer(async (req, res) => {
    replica.seen.push(`${req.method} ${req.url}`);
    replica.inFlight++;
    replica.maxInFlight = Math.max(replica.maxInFlight, replica.inFlight);
    let bytes = 0;
    for await (const c of req) bytes += (c as Buffer).length;
    if (replica.gate) await replica.gate;
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    replica.inFlight--;
    const url = req.url ?? '';
    const send = (status: number, body: unknown): void => {
      const s = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s), 'x-replica': id });
      res.end(s);
    };
    const prefix2 = `/v2/models/${modelName}`;
    const prefix1 = `/v1/models/${modelName}`;
    if (url === `${prefix2}/infer` && req.method === 'POST') {
      return send(200, { model_name: modelName, model_version: '1', id: 'req-1', outputs: [{ name: 'out', shape: [1], datatype: 'FP32', data: [bytes] }], replica: id });
    }
    if (url === prefix2 || url === `${prefix2}/versions/1`) {
      return send(200, { name: modelName, versions: ['1'], platform: 'onnxruntime_onnx', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }], outputs: [{ name: 'out', datatype: 'FP32', shape: [-1, 1] }] });
    }
    if (url === `${prefix2}/ready`) return send(200, { ready: true });
    if (url === `${prefix1}:predict` && req.method === 'POST') return send(200, { predictions: [bytes], replica: id });
    if (url === prefix1) return send(200, { name: modelName, ready: true });
    send(404, { error: `model not found at ${url}` });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  replica.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return replica;
}

/** A port that refuses connections (a server was bound there and closed). */
export async function deadPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A response as the tests look at it. */
export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: Record<string, unknown>;
}

/** Makes one request to 127.0.0.1:port (a new connection unless an agent is given). */
export function call(port: number, method: string, path: string, body?: string | Buffer, agent?: http.Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: agent ?? false, headers: body !== undefined ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // not JSON: leave empty, tests compare text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The OIP request body the tests send. */
export const INFER_BODY = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] });

/** Waits until `cond()` holds, polling every 5 ms (bounded, so a broken test fails instead of hanging). */
export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
