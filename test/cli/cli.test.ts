/** The capstan CLI as a user runs it: a real child process against a real server. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capstanArgv } from '../support/spawn-capstan.js';
import { repoRoot } from '../support/repo-root.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

let tp: TestPlatform;
let home: string;
before(async () => {
  tp = await startTestPlatform();
  home = mkdtempSync(join(tmpdir(), 'capstan-cli-home-'));
});
after(async () => tp.stop());

/** Runs the CLI asynchronously: the server lives in this process and must keep answering. */
function capstan(args: string[], input?: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, capstanArgv(args), {
      cwd: repoRoot(),
      env: { ...process.env, HOME: home, CAPSTAN_SERVER: tp.url, CAPSTAN_TOKEN: tp.token, ...env },
      timeout: 60_000,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(input ?? '');
  });
}

test('apply (multi-document, stdin), get with columns and formats, describe, delete', async () => {
  const yaml = [
    'apiVersion: capstan.dev/v1alpha1', 'kind: Project', 'metadata:', '  name: cli-a', '  labels: {team: ml}', 'spec:', '  displayName: Alpha', '---',
    'apiVersion: capstan.dev/v1alpha1', 'kind: Project', 'metadata:', '  name: cli-b', 'spec: {}',
  ].join('\n');
  const a = await capstan(['apply', '-f', '-'], yaml);
  assert.equal(a.code, 0, a.err + a.out);
  assert.match(a.out, /project\/cli-a created/);
  assert.match(a.out, /project\/cli-b created/);
  assert.match((await capstan(['apply', '-f', '-'], yaml)).out, /project\/cli-a unchanged/);
  const table = await capstan(['get', 'projects', '-l', 'team=ml', '-o', 'wide']);
  assert.equal(table.code, 0, table.err);
  assert.match(table.out, /^NAME\s+STATUS\s+MEMBERS\s+DISPLAY NAME\s+AGE/m);
  assert.match(table.out, /cli-a\s+\S*\s+\d+\s+Alpha/);
  assert.doesNotMatch(table.out, /cli-b/);
  const json = JSON.parse((await capstan(['get', 'proj/cli-a', '-o', 'json'])).out);
  assert.equal(json.metadata.name, 'cli-a');
  const desc = await capstan(['describe', 'project', 'cli-a']);
  assert.match(desc.out, /Name:\s+cli-a/);
  assert.match(desc.out, /Events:/);
  const del = await capstan(['delete', 'project', 'cli-b']);
  assert.equal(del.code, 0);
  assert.match(del.out, /project\/cli-b/);
});

test('errors are readable, name the field, and exit non-zero', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-cli-'));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'apiVersion: capstan.dev/v1alpha1\nkind: Project\nmetadata:\n  name: Not_Valid\n');
  const r = await capstan(['apply', '-f', bad]);
  assert.equal(r.code, 1);
  assert.match(r.out, /metadata\.name/);
  const g = await capstan(['get', 'project', 'does-not-exist']);
  assert.equal(g.code, 1);
  assert.match(g.err, /Error from server \(NotFound\): Project "does-not-exist" not found/);
  const k = await capstan(['get', 'widgets']);
  assert.equal(k.code, 1);
  assert.match(k.err, /doesn't have a resource type "widgets"/);
  const y = await capstan(['apply', '-f', '-'], 'kind: [');
  assert.equal(y.code, 1);
  const unauth = await capstan(['get', 'projects'], undefined, { CAPSTAN_TOKEN: 'wrong' });
  assert.equal(unauth.code, 1);
  assert.match(unauth.err, /Unauthorized/);
});

test('get -w prints changes as they happen; -A lists across projects', async () => {
  const child = spawn(process.execPath, capstanArgv(['get', 'projects', '-w']), {
    cwd: repoRoot(),
    env: { ...process.env, HOME: home, CAPSTAN_SERVER: tp.url, CAPSTAN_TOKEN: tp.token },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const waitFor = async (re: RegExp) => {
    for (let i = 0; i < 500 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(out, re);
  };
  await waitFor(/^NAME/m);
  await tp.client.create((await import('../../src/api/kinds/project.js')).ProjectKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Project', metadata: { name: 'watched-live' } });
  await waitFor(/watched-live/);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await exited;
  const all = await capstan(['get', 'events', '-A']);
  assert.equal(all.code, 0, all.err);
  assert.match(all.out, /^PROJECT\s+NAME/m);
});

test('config set saves a 0600 file that later commands use', async () => {
  const r = await capstan(['config', 'set', '--project', 'cli-a', '--server', tp.url, '--token', tp.token], undefined, { CAPSTAN_SERVER: '', CAPSTAN_TOKEN: '' });
  assert.equal(r.code, 0, r.err);
  const st = statSync(join(home, '.capstan', 'config.json'));
  assert.equal(st.mode & 0o777, 0o600);
  const v = await capstan(['config', 'view']);
  assert.match(v.out, /"project": "cli-a"/);
  assert.doesNotMatch(v.out, new RegExp(tp.token));
  assert.equal((await capstan(['config', 'set', '--server', 'not a url'])).code, 1);
});
