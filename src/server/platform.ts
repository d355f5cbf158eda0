/**
 * The composition root: from a frozen config it opens the store, builds the API server and
 * the controllers, and starts them; `stop()` takes them down in reverse order.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';
import { ApiError } from '../api/errors.js';
import type { KindRegistry } from '../api/kind-registry.js';
import { builtinKindRegistry } from '../api/kinds/index.js';
import { ProjectKind } from '../api/kinds/project.js';
import { LocalClient } from '../client/local-client.js';
import { ProjectController } from '../controllers/project-controller.js';
import { EventRecorder } from '../controllers/runtime/event-recorder.js';
import { ControllerManager } from '../controllers/runtime/manager.js';
import type { StorageBackend } from '../store/backend.js';
import { ObjectStore } from '../store/object-store.js';
import { FencedBackend } from '../ops/fenced-backend.js';
import { startLeadership, type Leadership } from '../ops/leadership.js';
import { prepareStore } from '../ops/upgrade.js';
import { SqliteBackend } from '../store/sqlite-backend.js';
import { buildApiServer, requestState } from './api-server.js';
import { ApiMetrics } from './api-metrics.js';
import { ApiTokenKind } from '../api/kinds/tenancy-kinds.js';
import { AuditLog } from './audit-log.js';
import { TokenAuthenticator, type Subject } from './auth.js';
import { ensureAdminUser } from './admin-user.js';
import { RoleAuthorizer } from './role-authorizer.js';
import { TenancyIndex } from './tenancy-index.js';
import { UserAccounts } from './user-accounts.js';
import type { ListenInfo, PlatformContext, PlatformModule } from './platform-module.js';
import { ComputeTargets } from '../runtime/compute-target.js';
import { actionObjectReader } from './scoped-tokens.js';
import { PLATFORM_MODULES } from './platform-modules.js';
import type { ServerConfig } from './config.js';
import { CAPSTAN_VERSION } from '../api/version.js';

/** A running platform. */
export interface Platform {
  url: string;
  port: number;
  /** The admin token, when this start created it (first start) or it was configured. */
  adminToken?: string;
  adminTokenFile: string;
  /** The admin user's password, when this start created it (first start). */
  adminPassword?: string;
  adminPasswordFile: string;
  client: LocalClient;
  kinds: KindRegistry;
  manager: ControllerManager;
  app: FastifyInstance;
  log: Logger;
  /** This server's part in the controllers' leader election (docs/operations.md). */
  leadership: Leadership;
  stop(): Promise<void>;
}

/** Hooks later layers use to add kinds, controllers and routes. */
export interface PlatformExtensions {
  openBackend?: (cfg: ServerConfig) => Promise<StorageBackend>;
  /** Modules to install instead of every built-in one (tests). */
  modules?: PlatformModule[];
}

/** Opens the backend the config asks for: PostgreSQL when a URL is set, else SQLite in the data dir. */
async function openBackend(cfg: ServerConfig, ext: PlatformExtensions): Promise<StorageBackend> {
  if (ext.openBackend) return ext.openBackend(cfg);
  if (cfg.databaseUrl) {
    const mod = (await import('../store/postgres-backend.js')) as { PostgresBackend: { open(o: { connectionString: string }): Promise<StorageBackend> } };
    return mod.PostgresBackend.open({ connectionString: cfg.databaseUrl });
  }
  return new SqliteBackend({ path: join(cfg.dataDir, 'capstan.db') });
}

/** Starts the platform. */
export async function startPlatform(cfg: ServerConfig, ext: PlatformExtensions = {}, log: Logger = pino({ level: cfg.logLevel })): Promise<Platform> {
  mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
  // Controllers' writes are fenced by the leader lease; the store is migrated (after a backup) first.
  const backend = new FencedBackend(await openBackend(cfg, ext));
  await prepareStore(backend, { dataDir: cfg.dataDir, log, now: new Date() }).catch(async (err) => {
    await backend.close();
    throw err;
  });
  const store = new ObjectStore(backend);
  const kinds = builtinKindRegistry();
  const client = new LocalClient(store, kinds);

  const authenticator = new TokenAuthenticator(backend);
  const { createdToken } = await authenticator.init(cfg.adminToken);
  const adminTokenFile = join(cfg.dataDir, 'admin.token');
  const adminToken = createdToken ?? cfg.adminToken;
  if (adminToken) {
    writeFileSync(adminTokenFile, `${adminToken}\n`, { mode: 0o600 });
    chmodSync(adminTokenFile, 0o600);
  }

  await ensureProject(client, 'default');
  const index = new TenancyIndex(client, log.child({ component: 'tenancy-index' }));
  await index.start();
  authenticator.useTenancy(index, (name, at) => {
    client.patchStatus(ApiTokenKind, undefined, name, { lastUsedTime: at.toISOString() }).catch(() => undefined);
  });
  const accounts = new UserAccounts(client, backend);
  const adminPasswordFile = join(cfg.dataDir, 'admin.password');
  const { createdPassword: adminPassword } = await ensureAdminUser(client, accounts, adminPasswordFile);
  const audit = new AuditLog(backend, { enabled: cfg.audit }, log.child({ component: 'audit' }));
  const authorizer = new RoleAuthorizer(index, actionObjectReader(client, kinds));

  const manager = new ControllerManager(client, log);
  const events = new EventRecorder(client, 'capstan-controller-manager', log);
  manager.add(new ProjectController(client, events, log.child({ controller: 'project' })), { primary: manager.informer(ProjectKind), concurrency: 2 });

  const metrics = new ApiMetrics();
  const started: Array<(info: ListenInfo) => Promise<void> | void> = [];
  const stoppers: Array<() => Promise<void> | void> = [];
  const modules = ext.modules ?? PLATFORM_MODULES;
  const targets = new ComputeTargets();
  const installModules = async (app: FastifyInstance) => {
    const ctx: PlatformContext = {
      cfg, log, client, kinds, manager, backend, app, targets,
      metrics: metrics.registry,
      subjectOf: (req) => (req as { subject?: Subject }).subject,
      correlationOf: (req) => (req as { correlationId?: string }).correlationId,
      credentialOf: (req) => requestState(req as FastifyRequest).credential,
      authorizer,
      audit,
      authenticate: async (h) => {
        const t = TokenAuthenticator.bearer(h);
        return t === undefined ? undefined : authenticator.authenticateToken(t);
      },
      recorder: (component) => new EventRecorder(client, component, log),
      onStarted: (fn) => started.push(fn),
      onStop: (fn) => stoppers.push(fn),
    };
    for (const m of modules) await m.install(ctx);
  };

  const app = await buildApiServer({
    metrics,
    plugins: [installModules],
    client,
    kinds,
    authenticator,
    authorizer,
    log,
    metricsPublic: cfg.metricsPublic,
    tenancy: { index, authorizer, accounts, audit, sessionTtlMs: cfg.sessionTtlHours * 3_600_000, secureCookies: cfg.secureCookies },
    maxBodyBytes: cfg.maxBodyBytes,
    version: CAPSTAN_VERSION,
    isReady: () => !leadership?.isLeader() || manager.hasSynced(),
  });
  let leadership: Leadership | undefined;
  await app.listen({ host: cfg.host, port: cfg.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
  const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;

  const compactTimer = setInterval(() => {
    backend.compact(cfg.eventRetention).catch((err) => log.warn({ err: (err as Error).message }, 'event log compaction failed'));
  }, 60_000);
  compactTimer.unref();
  const pruneAudit = () => audit.prune(cfg.auditRetentionDays * 86_400_000, Date.now()).catch((err) => log.warn({ err: (err as Error).message }, 'audit pruning failed'));
  void pruneAudit();
  const auditTimer = setInterval(pruneAudit, 3_600_000);
  auditTimer.unref();
  // Controllers and the modules' leader-side parts run only on the elected leader; every server serves the API.
  leadership = startLeadership({
    backend, log,
    lead: async () => {
      await manager.start();
      for (const fn of started) await fn({ url, port });
    },
    stepDown: () => manager.stop(),
  });
  await leadership.firstAttempt;

  let stopped = false;
  return {
    url,
    port,
    adminToken,
    adminTokenFile,
    adminPassword,
    adminPasswordFile,
    client,
    kinds,
    manager,
    app,
    log,
    leadership,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(compactTimer);
      clearInterval(auditTimer);
      await app.close();
      await manager.stop();
      for (const fn of stoppers.reverse()) {
        try {
          await fn();
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'a module failed to stop cleanly');
        }
      }
      index.stop();
      await audit.flush();
      await leadership!.stop();
      await backend.close();
    },
  };
}

async function ensureProject(client: LocalClient, name: string): Promise<void> {
  try {
    await client.create(ProjectKind, { apiVersion: ProjectKind.apiVersion, kind: 'Project', metadata: { name }, spec: { description: 'The default project.' } });
  } catch (err) {
    if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
  }
}
