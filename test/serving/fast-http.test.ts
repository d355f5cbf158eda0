/**
 * The raw HTTP/1.1 fast path in front of node:http: requests it serves, requests it hands to
 * node:http (and that the connection keeps working after), pipelining and split packets.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { addModel, removeDir, smallMlp, startServer, tempDir } from './fixtures.js';
import { parsePlainHead } from '../../src/serving/model-server/fast-http.js';
import { buildIdentityOnnx } from '../../src/onnx/index.js';

type Srv = Awaited<ReturnType<typeof startServer>>;
let repo: string;
let srv: Srv;

before(async () => {
  repo = tempDir();
  addModel(repo, 'mlp', 1, smallMlp(1));
  addModel(repo, 'wide', 1, buildIdentityOnnx({ datatype: 'FP32', shape: [1, 'width'] }));
  srv = await startServer({ modelRepository: repo, maxBodyBytes: 4096 });
});
after(async () => {
  await srv.close();
  removeDir(repo);
});

interface RawResponse { status: number; headers: Record<string, string>; body: Buffer }

/** A raw client socket that collects complete responses (Content-Length framed, or 100 Continue). */
class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  readonly responses: RawResponse[] = [];
  closed = false;
  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => { this.buf = Buffer.concat([this.buf, c]); this.parse(); });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => {});
  }
  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }
  private wake(): void { const w = this.waiters; this.waiters = []; for (const f of w) f(); }
  private parse(): void {
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) break;
      const lines = this.buf.toString('latin1', 0, end).split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      const len = Number(headers['content-length'] ?? 0);
      if (this.buf.length < end + 4 + len) break;
      this.responses.push({ status, headers, body: this.buf.subarray(end + 4, end + 4 + len) });
      this.buf = this.buf.subarray(end + 4 + len);
    }
    this.wake();
  }
  /** Waits until `n` responses have arrived (or the socket closed). */
  async until(n: number): Promise<RawResponse[]> {
    while (this.responses.length < n && !this.closed) await new Promise<void>((r) => this.waiters.push(r));
    return this.responses;
  }
  write(s: string | Buffer): void { this.socket.write(s); }
  close(): void { this.socket.destroy(); }
}

const inferBody = (x: number): string => JSON.stringify({ id: `r${x}`, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [x, 1, 2, 3] }] });
const inferRequest = (x: number, extra = ''): string => {
  const body = inferBody(x);
  return `POST /v2/models/mlp/infer HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
};

test('plain infer requests are answered on the fast path with keep-alive framing, pipelined in order', async () => {
  const c = await RawClient.open(srv.httpPort);
  try {
    c.write(inferRequest(1) + inferRequest(2) + inferRequest(3));
    const rs = await c.until(3);
    assert.deepEqual(rs.map((r) => r.status), [200, 200, 200]);
    assert.deepEqual(rs.map((r) => JSON.parse(r.body.toString()).id), ['r1', 'r2', 'r3']);
    assert.equal(rs[0].headers.connection, 'keep-alive');
    assert.equal(rs[0].headers['content-type'], 'application/json');
    assert.ok(rs[0].headers.date);
  } finally {
    c.close();
  }
});

test('a request split across many packets, byte by byte', async () => {
  const c = await RawClient.open(srv.httpPort);
  try {
    const req = Buffer.from(inferRequest(7));
    for (let i = 0; i < req.length; i++) {
      c.write(req.subarray(i, i + 1));
      if (i % 16 === 0) await new Promise((r) => setImmediate(r));
    }
    const [r] = await c.until(1);
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body.toString()).id, 'r7');
  } finally {
    c.close();
  }
});

test('a large body arriving in many chunks is answered exactly', async () => {
  const big = await startServer({ modelRepository: repo, grpcPort: undefined });
  const c = await RawClient.open(big.httpPort);
  try {
    // 1M FP32 values (4 MiB) through a non-batching identity with a dynamic width.
    const values = Float32Array.from({ length: 1 << 20 }, (_, i) => i % 977);
    const header = JSON.stringify({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, values.length], parameters: { binary_data_size: values.byteLength } }],
      parameters: { binary_data_output: true },
    });
    const body = Buffer.concat([Buffer.from(header), Buffer.from(values.buffer)]);
    const req = Buffer.concat([Buffer.from(`POST /v2/models/wide/infer HTTP/1.1\r\nHost: t\r\nInference-Header-Content-Length: ${header.length}\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
    for (let off = 0; off < req.length; off += 65536) {
      c.write(req.subarray(off, off + 65536));
      await new Promise((r) => setImmediate(r));
    }
    const [r] = await c.until(1);
    assert.equal(r.status, 200, r.body.toString('utf8', 0, 200));
    const jsonLen = Number(r.headers['inference-header-content-length']);
    assert.ok(r.body.subarray(jsonLen).equals(Buffer.from(values.buffer)));
  } finally {
    c.close();
    await big.close();
  }
});

test('requests the fast path does not serve go to node:http, and the connection keeps working', async () => {
  const c = await RawClient.open(srv.httpPort);
  try {
    c.write(inferRequest(1));
    await c.until(1);
    // A GET (other route): handed to node:http.
    c.write('GET /v2/health/ready HTTP/1.1\r\nHost: t\r\n\r\n');
    await c.until(2);
    // Chunked body, then gzip body, then 100-continue: all node:http's.
    const body = inferBody(4);
    c.write(`POST /v2/models/mlp/infer HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n${(10).toString(16)}\r\n${body.slice(0, 10)}\r\n${Buffer.byteLength(body.slice(10)).toString(16)}\r\n${body.slice(10)}\r\n0\r\n\r\n`);
    await c.until(3);
    const gz = gzipSync(inferBody(5));
    c.write(Buffer.concat([Buffer.from(`POST /v2/models/mlp/infer HTTP/1.1\r\nHost: t\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`), gz]));
    await c.until(4);
    c.write(inferRequest(6));
    const rs = await c.until(5);
    assert.deepEqual(rs.map((r) => r.status), [200, 200, 200, 200, 200]);
    assert.deepEqual([0, 2, 3, 4].map((i) => JSON.parse(rs[i].body.toString()).id), ['r1', 'r4', 'r5', 'r6']);
  } finally {
    c.close();
  }
});

test('errors on the fast path: JSON 4xx naming the problem; over-limit bodies get 413 and a close', async () => {
  const c = await RawClient.open(srv.httpPort);
  try {
    c.write('POST /v2/models/nope/infer HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}');
    c.write('POST /v2/models/mlp/infer HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n{bad}');
    const rs = await c.until(2);
    assert.equal(rs[0].status, 404);
    assert.match(JSON.parse(rs[0].body.toString()).error, /nope/);
    assert.equal(rs[1].status, 400);
    assert.match(JSON.parse(rs[1].body.toString()).error, /not valid JSON/);
    c.write(`POST /v2/models/mlp/infer HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(5000)}`);
    const all = await c.until(3);
    assert.equal(all[2].status, 413);
    await c.until(99);
    assert.ok(c.closed, 'connection closed after 413');
  } finally {
    c.close();
  }
});

test('Connection: close is honoured', async () => {
  const c = await RawClient.open(srv.httpPort);
  try {
    c.write(inferRequest(1, 'Connection: close\r\n'));
    const [r] = await c.until(1);
    assert.equal(r.status, 200);
    assert.equal(r.headers.connection, 'close');
    await c.until(99);
    assert.ok(c.closed);
  } finally {
    c.close();
  }
});

test('parsePlainHead accepts only the plain shape', () => {
  const ok = (m: string, t: string): true | undefined => (m === 'POST' && t.startsWith('/v2/') ? true : undefined);
  const p = parsePlainHead('POST /v2/x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nX-A: b', ok);
  assert.deepEqual(p, { method: 'POST', target: '/v2/x', route: true, headers: { host: 'a', 'content-length': '3', 'x-a': 'b' }, contentLength: 3, close: false });
  for (const bad of [
    'POST /v2/x HTTP/1.0\r\nContent-Length: 3',
    'GET /v2/x HTTP/1.1\r\nContent-Length: 3',
    'POST /v2/x HTTP/1.1',
    'POST /v2/x HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3',
    'POST /v2/x HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked',
    'POST /v2/x HTTP/1.1\r\nContent-Length: -3',
    'POST /v2/x HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue',
    'POST /v2/x HTTP/1.1\r\nContent-Length: 3\r\nContent-Encoding: gzip',
    'POST /v2/x HTTP/1.1\r\nContent-Length: 3\r\n folded',
    'POST /v2/x HTTP/1.1\r\nContent-Length: 3\r\nBad Name: x',
    'POST /v2/x HTTP/1.1\r\nContent-Length: 3\r\nConnection: upgrade',
    'POST http://h/v2/x HTTP/1.1\r\nContent-Length: 3',
  ]) assert.equal(parsePlainHead(bad, ok), undefined, bad);
});
