/**
 * The store contract on the PostgreSQL backend, against a real PostgreSQL server started for this
 * file (test/support/postgres-server.ts); each test gets its own schema in the one database.
 */
import { after, test } from 'node:test';
import { PostgresBackend } from '../../src/store/postgres-backend.js';
import { postgresSkip, startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { storeContract } from './store-contract.js';
import { opsContract } from './ops-contract.js';

const skip = postgresSkip();
if (skip) {
  test('postgres: store contract', { skip }, () => {});
} else {
  let server: Promise<PostgresServer> | undefined;
  let n = 0;
  after(async () => {
    if (server) await (await server).stop();
  });
  storeContract('postgres', async () => {
    server ??= startPostgres();
    const { connectionString } = await server;
    return PostgresBackend.open({ connectionString, schema: `contract_${n++}`, poolSize: 4 });
  });
  opsContract('postgres', async () => {
    server ??= startPostgres();
    const { connectionString } = await server;
    return PostgresBackend.open({ connectionString, schema: `ops_${n++}`, poolSize: 4 });
  });
}
