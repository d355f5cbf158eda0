/** kill -9 of the server in the middle of a push leaves the registry consistent: no version, no visible partial blob. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient } from '../../src/client/http-client.js';
import { ModelVersionKind } from '../../src/api/kinds/model-version.js';
import { FsBlobStore } from '../../src/artifacts/index.js';
import { startServerProcess } from '../support/spawn-capstan.js';

test('kill -9 mid-upload: after restart there is no version and no blob; the temp leftover is collectable', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-registry-kill-'));
  try {
    const s1 = await startServerProcess(dataDir);
    const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
    const total = 64 * 1024 * 1024;
    let sent = 0;
    const uploadDone = new Promise<void>((resolve) => {
      const req = http.request(`${s1.url}/apis/capstan.dev/v1alpha1/namespaces/default/models/killed/blobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(total) },
      });
      req.on('error', () => resolve());
      req.on('response', () => resolve());
      const chunk = Buffer.alloc(256 * 1024, 3);
      const pump = () => {
        while (sent < total / 2) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        // half the body is in: the server is mid-put with a temp file open
        setTimeout(() => s1.child.kill('SIGKILL'), 300);
      };
      pump();
    });
    await uploadDone;
    await new Promise<void>((r) => (s1.child.exitCode !== null || s1.child.signalCode !== null ? r() : s1.child.once('exit', () => r())));
    const tmpFiles = readdirSync(join(dataDir, 'blobs', 'tmp'));
    assert.ok(tmpFiles.length >= 1, 'the interrupted put left its temp file (it was really mid-upload)');

    const s2 = await startServerProcess(dataDir);
    try {
      const client = new HttpClient({ server: s2.url, token });
      const versions = await client.list(ModelVersionKind, { namespace: 'default' });
      assert.equal(versions.items.length, 0);
      const store = new FsBlobStore({ root: join(dataDir, 'blobs'), noSync: true });
      let blobs = 0;
      for await (const _ of store.list()) blobs++;
      assert.equal(blobs, 0, 'no partial blob is visible');
      assert.equal(await store.cleanupTemp(new Date(Date.now() + 60_000)), tmpFiles.length);
    } finally {
      s2.child.kill('SIGTERM');
      await new Promise((r) => s2.child.once('exit', r));
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
