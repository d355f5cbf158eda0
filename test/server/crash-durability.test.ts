/**
 * kill -9 while clients write: every write the server acknowledged is there after a restart,
 * again and again, on SQLite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventKind } from '../../src/api/kinds/event.js';
import { HttpClient } from '../../src/client/http-client.js';
import { startServerProcess } from '../support/spawn-capstan.js';

test('acknowledged writes survive kill -9 (SQLite, 4 rounds)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-crash-'));
  const acknowledged = new Set<string>();
  try {
    for (let round = 0; round < 4; round++) {
      const server = await startServerProcess(dataDir);
      const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
      const client = new HttpClient({ server: server.url, token, timeoutMs: 5000 });
      let stop = false;
      let n = 0;
      const writer = async (w: number) => {
        while (!stop) {
          const name = `r${round}-w${w}-${n++}`;
          try {
            await client.create(EventKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Event', metadata: { name, namespace: 'default' }, involvedObject: { kind: 'Project', name: 'default' }, reason: 'Crash', message: name });
            acknowledged.add(name);
          } catch {
            return; // the server died under us: this write was never acknowledged
          }
        }
      };
      const writers = Array.from({ length: 16 }, (_, w) => writer(w));
      await new Promise((r) => setTimeout(r, 300 + round * 150));
      const exited = new Promise((r) => server.child.once('exit', r));
      server.child.kill('SIGKILL');
      stop = true;
      await Promise.all(writers);
      await exited;
    }
    assert.ok(acknowledged.size > 100, `only ${acknowledged.size} writes were acknowledged; the test proves little`);
    const server = await startServerProcess(dataDir);
    try {
      const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
      const client = new HttpClient({ server: server.url, token });
      const stored = new Set((await client.list(EventKind, { namespace: 'default' })).items.map((e) => e.metadata.name));
      const lost = [...acknowledged].filter((n) => !stored.has(n));
      assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.size} acknowledged writes were lost`);
    } finally {
      const exited = new Promise((r) => server.child.once('exit', r));
      server.child.kill('SIGTERM');
      await exited;
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
