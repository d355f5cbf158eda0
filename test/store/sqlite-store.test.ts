/** The store contract on the SQLite backend, on a real file in a temp dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { SqliteBackend } from '../../src/store/sqlite-backend.js';
import { storeContract } from './store-contract.js';
import { opsContract } from './ops-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'capstan-sqlite-'));
let n = 0;
after(() => rmSync(dir, { recursive: true, force: true }));
storeContract('sqlite', async () => new SqliteBackend({ path: join(dir, `db${n++}.sqlite`) }));
opsContract('sqlite', async () => new SqliteBackend({ path: join(dir, `ops${n++}.sqlite`) }));
