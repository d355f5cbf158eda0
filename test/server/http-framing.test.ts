/**
 * Requests whose HTTP framing is broken (a negative or repeated Content-Length, bad chunking, a
 * head or body cut short, a head too large), sent on raw sockets: the API port answers a Kubernetes
 * Status naming the problem (it used to answer fastify's own `{"error":"Bad Request",...}`), the
 * model server OIP's `{"error": "..."}` (it used to answer an empty 400), and both stay up.
 * Also: the dashboard's public path is `/ui` and `/ui/...`, not every path starting with "/ui".
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { addModel, removeDir, smallMlp, startServer, tempDir } from '../serving/fixtures.js';

interface Answer { status: number; headers: Record<string, string>; body: string; closed: boolean }

/** Sends raw bytes (then half-closes when `end`), reads one answer until the server closes or it is complete. */
function raw(port: number, data: string, end = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`no complete answer to ${JSON.stringify(data.slice(0, 80))}: ${buf.toString('latin1').slice(0, 200)}`)); }, 10_000);
    const parse = (closed: boolean): Answer | undefined => {
      const text = buf.toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      if (headEnd < 0) return undefined;
      const lines = text.slice(0, headEnd).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      const body = buf.subarray(headEnd + 4);
      const len = Number(headers['content-length']);
      if (!closed && !(body.length >= len)) return undefined;
      if (closed && body.length < len) return undefined;
      return { status: Number(lines[0].split(' ')[1]), headers, body: body.toString('utf8'), closed };
    };
    let linger: NodeJS.Timeout | undefined;
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      // a complete answer on a connection the server keeps open: report it as not closed
      if (!linger && parse(false)) linger = setTimeout(() => { clearTimeout(timer); resolve(parse(false)!); s.destroy(); }, 3000);
    });
    s.on('end', () => s.end());
    s.on('close', () => {
      clearTimeout(timer);
      clearTimeout(linger);
      const a = parse(true);
      if (a) resolve(a);
      else reject(new Error(`connection closed without an answer to ${JSON.stringify(data.slice(0, 80))}`));
    });
    s.on('error', () => {});
    s.write(data, 'latin1');
    if (end) s.end();
  });
}

/** Malformed requests for `path`, with what the answer must name. */
function malformed(path: string, headers: string): Array<{ what: string; data: string; end?: boolean; status: number; names: RegExp }> {
  const post = `POST ${path} HTTP/1.1\r\nHost: x\r\n${headers}`;
  return [
    { what: 'negative Content-Length', data: `${post}Content-Length: -5\r\n\r\n`, status: 400, names: /Content-Length/ },
    { what: 'non-numeric Content-Length', data: `${post}Content-Length: 12abc\r\n\r\n`, status: 400, names: /Content-Length/ },
    { what: 'two different Content-Lengths', data: `${post}Content-Length: 5\r\nContent-Length: 6\r\n\r\n{"a":1}`, status: 400, names: /Content-Length header is repeated/ },
    { what: 'two equal Content-Lengths', data: `${post}Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}`, status: 400, names: /Content-Length header is repeated/ },
    { what: 'Content-Length with chunked', data: `${post}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, status: 400, names: /Transfer-Encoding/ },
    { what: 'a chunk size that is not hex', data: `${post}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`, status: 400, names: /chunk size/ },
    { what: 'a chunk longer than its size', data: `${post}Transfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n`, status: 400, names: /malformed HTTP request: .*chunk/i },
    { what: 'a body cut short', data: `${post}Content-Length: 100\r\n\r\n{"a":`, end: true, status: 400, names: /cut short/ },
    { what: 'a chunked body cut short', data: `${post}Transfer-Encoding: chunked\r\n\r\n10\r\nabc`, end: true, status: 400, names: /cut short/ },
    { what: 'a head cut short', data: `${post}Content-Le`, end: true, status: 400, names: /cut short/ },
    { what: 'a header line without a colon', data: `${post}Bad Header\r\n\r\n`, status: 400, names: /header line/ },
    { what: 'a head too large', data: `${post}X-Big: ${'a'.repeat(20_000)}\r\nContent-Length: 0\r\n\r\n`, status: 431, names: /head is larger/ },
  ];
}

describe('API port', () => {
  let tp: TestPlatform;
  let port: number;
  before(async () => {
    tp = await startTestPlatform();
    port = Number(new URL(tp.url).port);
  });
  after(async () => tp?.stop());

  test('malformed framing gets a Status naming the problem, and the server keeps serving', async () => {
    for (const c of malformed('/apis/capstan.dev/v1alpha1/projects', `Authorization: Bearer ${tp.token}\r\nContent-Type: application/json\r\n`)) {
      const a = await raw(port, c.data, c.end);
      assert.equal(a.status, c.status, `${c.what}: ${a.status} ${a.body}`);
      assert.match(a.headers['content-type'] ?? '', /^application\/json/, c.what);
      const st = JSON.parse(a.body);
      assert.equal(st.kind, 'Status', `${c.what}: ${a.body}`);
      assert.equal(st.apiVersion, 'v1');
      assert.equal(st.status, 'Failure');
      assert.equal(st.code, c.status, c.what);
      assert.equal(st.reason, c.status === 431 ? 'RequestHeaderFieldsTooLarge' : 'BadRequest', c.what);
      assert.match(st.message, /^malformed HTTP request: /, c.what);
      assert.match(st.message, c.names, `${c.what}: ${st.message}`);
      assert.ok(a.closed, `${c.what}: the connection is closed after the answer`);
    }
    const ok = await fetch(`${tp.url}/apis/capstan.dev/v1alpha1/projects/default`, { headers: { authorization: `Bearer ${tp.token}` } });
    assert.equal(ok.status, 200);
  });

  test('only /ui and /ui/... are public: /uiapis/... needs a token like every other path', async () => {
    for (const path of ['/uiapis/capstan.dev/v1alpha1/projects', '/uiapis/capstan.dev/v1alpha1/namespaces/default/events', '/ui-x', '/uix/']) {
      const res = await fetch(tp.url + path);
      assert.equal(res.status, 401, `${path}: ${res.status}`);
      assert.equal((await res.json()).reason, 'Unauthorized', path);
    }
    for (const path of ['/ui', '/ui/', '/ui/projects/default']) {
      const res = await fetch(tp.url + path);
      assert.notEqual(res.status, 401, `${path} is public`);
      await res.arrayBuffer();
    }
  });
});

describe('model server', () => {
  let repo: string;
  let srv: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    repo = tempDir();
    addModel(repo, 'mlp', 1, smallMlp(1));
    srv = await startServer({ modelRepository: repo });
  });
  after(async () => {
    await srv?.close();
    if (repo) removeDir(repo);
  });

  test('malformed framing on the infer route and elsewhere gets {"error": ...} naming the problem', async () => {
    for (const path of ['/v2/models/mlp/infer', '/v2/repository/index', '/v1/models/mlp:predict']) {
      for (const c of malformed(path, 'Content-Type: application/json\r\n')) {
        const a = await raw(srv.httpPort, c.data, c.end);
        assert.equal(a.status, c.status, `${path} ${c.what}: ${a.status} ${a.body}`);
        assert.match(a.headers['content-type'] ?? '', /^application\/json/, c.what);
        const body = JSON.parse(a.body) as { error?: unknown };
        assert.deepEqual(Object.keys(body), ['error'], `${path} ${c.what}: ${a.body}`);
        assert.match(String(body.error), /^malformed HTTP request: /, `${path} ${c.what}`);
        assert.match(String(body.error), c.names, `${path} ${c.what}: ${body.error}`);
      }
    }
    const live = await fetch(`${srv.url}/v2/health/live`);
    assert.equal(live.status, 200);
  });
});
