/**
 * CLI commands of tenancy: `login`, `users`, `groups`, `projects add-member|remove-member`,
 * `tokens`, `auth can-i|whoami|access-review` and `audit`. Secrets are read from stdin
 * (`--password-stdin`), never from flags that end up in shell history.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ProjectKind } from '../../api/kinds/project.js';
import { GroupKind, PROJECT_ROLES, UserKind } from '../../api/kinds/tenancy-kinds.js';
import { HttpClient } from '../../client/http-client.js';
import { cliConfigPath, readCliConfig, writeCliConfig } from '../cli-config.js';
import type { CommandEnv } from '../commands/resource-commands.js';
import { formatTable, serialize } from '../output.js';

type Member = { user?: string; group?: string; role: string };

/** Lines of stdin (for --password-stdin). */
function stdinLines(): string[] {
  return readFileSync(0, 'utf8').split(/\r?\n/);
}

function role(r: string): string {
  if (!(PROJECT_ROLES as readonly string[]).includes(r)) throw new Error(`--role must be one of ${PROJECT_ROLES.join(', ')}, got "${r}"`);
  return r;
}

/** Adds the tenancy commands; `env()` connects lazily. */
export function registerTenancyCommands(program: Command, env: () => CommandEnv): void {
  program
    .command('login')
    .description('sign in with a user name and password; saves a personal token in the CLI config')
    .requiredOption('--user <name>', 'user name')
    .option('--password-stdin', 'read the password from stdin (else CAPSTAN_PASSWORD)')
    .option('--expires <duration>', 'token lifetime, e.g. 30d, or never', '30d')
    .action(async (o: { user: string; passwordStdin?: boolean; expires: string }) => {
      const e = env();
      const password = o.passwordStdin ? stdinLines()[0] : process.env.CAPSTAN_PASSWORD;
      if (!password) throw new Error('give the password on stdin with --password-stdin (or in CAPSTAN_PASSWORD)');
      const anon = new HttpClient({ server: e.ctx.server });
      const { body } = await anon.request<{ token: string; expiresAt?: string }>('POST', '/auth/login', { user: o.user, password, issueToken: true, expires: o.expires });
      const path = cliConfigPath(process.env);
      writeCliConfig(path, { ...readCliConfig(path), server: e.ctx.server, token: body.token });
      e.out(`signed in as ${o.user}; token saved in ${path}${body.expiresAt ? ` (expires ${body.expiresAt})` : ''}`);
    });

  const users = program.command('users').description('local user accounts (cluster admins)');
  users
    .command('create')
    .argument('<name>')
    .option('--password-stdin', 'read the password from stdin (else a random one is printed once)')
    .option('--display-name <text>')
    .option('--email <address>')
    .option('--cluster-role <role>', 'cluster-viewer or cluster-admin')
    .action(async (name: string, o: { passwordStdin?: boolean; displayName?: string; email?: string; clusterRole?: string }) => {
      const e = env();
      const password = o.passwordStdin ? stdinLines()[0] : randomBytes(12).toString('base64url');
      await e.client.create(UserKind, {
        apiVersion: UserKind.apiVersion,
        kind: UserKind.kind,
        metadata: { name },
        spec: { ...(o.displayName ? { displayName: o.displayName } : {}), ...(o.email ? { email: o.email } : {}), ...(o.clusterRole ? { clusterRole: o.clusterRole } : {}) },
      });
      await e.client.request('PUT', `/auth/users/${encodeURIComponent(name)}/password`, { password });
      e.out(`user/${name} created${o.passwordStdin ? '' : `; password (shown once): ${password}`}`);
    });
  users
    .command('passwd')
    .argument('<name>')
    .description('set a password: line 1 of stdin is the new password; for your own, line 2 your current one')
    .action(async (name: string) => {
      const e = env();
      const [password, currentPassword] = stdinLines();
      await e.client.request('PUT', `/auth/users/${encodeURIComponent(name)}/password`, { password, ...(currentPassword ? { currentPassword } : {}) });
      e.out(`password of user/${name} set`);
    });
  for (const [cmd, disabled] of [['disable', true], ['enable', false]] as const) {
    users
      .command(cmd)
      .argument('<name>')
      .description(disabled ? 'stop a user signing in or using their tokens (at once, on every server)' : 'let a disabled user sign in again')
      .action(async (name: string) => {
        const e = env();
        await e.client.patch(UserKind, undefined, name, { spec: { disabled } });
        e.out(`user/${name} ${cmd}d`);
      });
  }

  const groups = program.command('groups').description('groups of users');
  groups
    .command('create')
    .argument('<name>')
    .option('--member <user...>', 'members')
    .option('--cluster-role <role>', 'cluster-viewer or cluster-admin for every member')
    .action(async (name: string, o: { member?: string[]; clusterRole?: string }) => {
      const e = env();
      await e.client.create(GroupKind, { apiVersion: GroupKind.apiVersion, kind: GroupKind.kind, metadata: { name }, spec: { members: o.member ?? [], ...(o.clusterRole ? { clusterRole: o.clusterRole } : {}) } });
      e.out(`group/${name} created`);
    });
  for (const [cmd, add] of [['add-member', true], ['remove-member', false]] as const) {
    groups
      .command(cmd)
      .argument('<group>')
      .argument('<user>')
      .action(async (group: string, user: string) => {
        const e = env();
        const g = await e.client.get(GroupKind, undefined, group);
        const members = ((g.spec as { members?: string[] }).members ?? []).filter((m) => m !== user);
        await e.client.patch(GroupKind, undefined, group, { metadata: { resourceVersion: g.metadata.resourceVersion }, spec: { members: add ? [...members, user] : members } });
        e.out(`group/${group}: ${user} ${add ? 'added' : 'removed'}`);
      });
  }

  const projects = program.command('projects').description("a project's members");
  projects
    .command('add-member')
    .argument('<project>')
    .option('--user <name>')
    .option('--group <name>')
    .requiredOption('--role <role>', 'viewer, editor or admin')
    .action(async (project: string, o: { user?: string; group?: string; role: string }) => {
      const e = env();
      if (!o.user === !o.group) throw new Error('give exactly one of --user or --group');
      const p = await e.client.get(ProjectKind, undefined, project);
      const rest = ((p.spec as { members?: Member[] }).members ?? []).filter((m) => (o.user ? m.user !== o.user : m.group !== o.group));
      const entry: Member = { ...(o.user ? { user: o.user } : { group: o.group }), role: role(o.role) };
      await e.client.patch(ProjectKind, undefined, project, { metadata: { resourceVersion: p.metadata.resourceVersion }, spec: { members: [...rest, entry] } });
      e.out(`project/${project}: ${o.user ? `user ${o.user}` : `group ${o.group}`} is ${o.role}`);
    });
  projects
    .command('remove-member')
    .argument('<project>')
    .option('--user <name>')
    .option('--group <name>')
    .action(async (project: string, o: { user?: string; group?: string }) => {
      const e = env();
      if (!o.user === !o.group) throw new Error('give exactly one of --user or --group');
      const p = await e.client.get(ProjectKind, undefined, project);
      const members = ((p.spec as { members?: Member[] }).members ?? []).filter((m) => (o.user ? m.user !== o.user : m.group !== o.group));
      await e.client.patch(ProjectKind, undefined, project, { metadata: { resourceVersion: p.metadata.resourceVersion }, spec: { members } });
      e.out(`project/${project}: ${o.user ? `user ${o.user}` : `group ${o.group}`} removed`);
    });

  const tokens = program.command('tokens').description('personal and service-account API tokens');
  tokens
    .command('create')
    .option('--expires <duration>', 'lifetime, e.g. 30d, 12h, or never', '30d')
    .option('--project <name>', 'only in this project')
    .option('--role <role>', 'at most this role there (viewer, editor, admin)')
    .option('--service-account <name>', "a project's automation token (needs --project and --role; project admins)")
    .option('--description <text>')
    .action(async (o: { expires: string; project?: string; role?: string; serviceAccount?: string; description?: string }) => {
      const e = env();
      const { body } = await e.client.request<{ id: string; token: string; expiresAt: string | null }>('POST', '/auth/tokens', {
        expires: o.expires,
        ...(o.project ? { project: o.project } : {}),
        ...(o.role ? { role: role(o.role) } : {}),
        ...(o.serviceAccount ? { serviceAccount: o.serviceAccount } : {}),
        ...(o.description ? { description: o.description } : {}),
      });
      e.out(`token ${body.id} created (expires ${body.expiresAt ?? 'never'}); it is shown once:`);
      e.out(body.token);
    });
  tokens
    .command('list')
    .option('--all', 'every token (cluster viewers and admins)')
    .option('-o, --output <format>', 'json | yaml')
    .action(async (o: { all?: boolean; output?: string }) => {
      const e = env();
      const { body } = await e.client.request<{ items: Array<Record<string, string | null>> }>('GET', `/auth/tokens${o.all ? '?all=true' : ''}`);
      if (o.output === 'json' || o.output === 'yaml') return e.out(serialize(body, o.output));
      e.out(formatTable(['ID', 'TYPE', 'USER', 'PROJECT', 'ROLE', 'EXPIRES', 'LAST USED', 'DESCRIPTION'], body.items.map((t) => [t.id, t.type, t.user, t.project ?? '*', t.role ?? '', t.expiresAt ?? 'never', t.lastUsedTime ?? '', t.description ?? ''].map(String))));
    });
  tokens
    .command('revoke')
    .argument('<id>', 'the token id (tok-...)')
    .action(async (id: string) => {
      const e = env();
      await e.client.request('DELETE', `/auth/tokens/${encodeURIComponent(id)}`);
      e.out(`token ${id} revoked`);
    });

  const auth = program.command('auth').description('who you are and what you may do');
  auth
    .command('can-i')
    .argument('<verb>', 'get, list, watch, create, update, patch, delete')
    .argument('<kind>', 'kind or plural, e.g. inferenceservices')
    .argument('[name]')
    .option('--subresource <name>', 'e.g. infer, log, artifact, status')
    .option('--as <user>', 'ask for another user (cluster admins)')
    .description('answers yes or no (exit code 1 for no), like kubectl auth can-i')
    .action(async (verb: string, kind: string, name: string | undefined, o: { subresource?: string; as?: string }) => {
      const e = env();
      const { body } = await e.client.request<{ allowed: boolean; reason?: string }>('POST', '/auth/can-i', {
        verb,
        resource: kind,
        namespace: e.ctx.project,
        ...(name ? { name } : {}),
        ...(o.subresource ? { subresource: o.subresource } : {}),
        ...(o.as ? { as: o.as } : {}),
      });
      e.out(body.allowed ? 'yes' : `no${body.reason ? ` (${body.reason})` : ''}`);
      if (!body.allowed) process.exitCode = 1;
    });
  auth
    .command('whoami')
    .action(async () => {
      const e = env();
      const { body } = await e.client.request<{ user: string; clusterRole?: string; projects: Array<{ name: string; role: string }>; token?: { name: string; project?: string; role?: string } }>('GET', '/auth/whoami');
      e.out(`user: ${body.user}${body.clusterRole ? ` (${body.clusterRole})` : ''}${body.token ? `, token ${body.token.name}${body.token.project ? ` limited to ${body.token.project}` : ''}${body.token.role ? ` as ${body.token.role}` : ''}` : ''}`);
      e.out(formatTable(['PROJECT', 'ROLE'], body.projects.map((p) => [p.name, p.role])));
    });
  auth
    .command('access-review')
    .description('who can do what in the project (-n)')
    .option('-o, --output <format>', 'json | yaml')
    .action(async (o: { output?: string }) => {
      const e = env();
      const { body } = await e.client.request<{
        members: Array<{ user?: string; group?: string; members?: string[]; role: string; grants: string[] }>;
        clusterWide: Array<{ user?: string; group?: string; clusterRole: string }>;
        serviceAccounts: Array<{ serviceAccount: string; role: string; tokenId: string }>;
      }>('GET', `/auth/access-review?project=${encodeURIComponent(e.ctx.project)}`);
      if (o.output === 'json' || o.output === 'yaml') return e.out(serialize(body, o.output));
      const rows = [
        ...body.members.map((m) => [m.user ? `user/${m.user}` : `group/${m.group} (${(m.members ?? []).join(', ')})`, m.role, m.grants.join(', ')]),
        ...body.clusterWide.map((c) => [c.user ? `user/${c.user}` : `group/${c.group}`, c.clusterRole, c.clusterRole === 'cluster-admin' ? 'everything' : 'read everything, infer']),
        ...body.serviceAccounts.map((s) => [`${s.serviceAccount} (${s.tokenId})`, s.role, '']),
      ];
      e.out(formatTable(['SUBJECT', 'ROLE', 'GRANTS'], rows));
    });

  program
    .command('audit')
    .description('the audit log, newest first (cluster admins; project admins with --in-project)')
    .option('--since <time>', 'a duration ago (1h, 7d) or an ISO time', '1h')
    .option('--until <time>')
    .option('--user <name>')
    .option('--kind <kind>')
    .option('--in-project <name>', 'only this project')
    .option('--limit <n>', 'at most this many', '100')
    .option('-o, --output <format>', 'json | jsonl')
    .action(async (o: { since: string; until?: string; user?: string; kind?: string; inProject?: string; limit: string; output?: string }) => {
      const e = env();
      const q = new URLSearchParams({ since: o.since, limit: o.limit, ...(o.until ? { until: o.until } : {}), ...(o.user ? { user: o.user } : {}), ...(o.kind ? { kind: o.kind } : {}), ...(o.inProject ? { project: o.inProject } : {}) });
      const { body } = await e.client.request<{ items: Array<Record<string, unknown>>; continue?: string }>('GET', `/auth/audit?${q}`);
      if (o.output === 'jsonl') return e.out(body.items.map((i) => JSON.stringify(i)).join('\n'));
      if (o.output === 'json') return e.out(serialize(body, 'json'));
      e.out(formatTable(['TIME', 'USER', 'VERB', 'OBJECT', 'OUTCOME', 'SOURCE', 'CORRELATION'], body.items.map((i) => [
        String(i.time),
        String(i.user),
        `${i.verb}${i.subresource ? `/${i.subresource}` : ''}`,
        `${i.kind ?? String(i.resource).replace(/^capstan\.dev\//, '')}${i.namespace ? ` ${i.namespace}/` : ' '}${i.name ?? ''}`,
        `${i.outcome} ${i.code}`,
        String(i.source),
        String(i.correlationId).slice(0, 8),
      ])));
    });
}
