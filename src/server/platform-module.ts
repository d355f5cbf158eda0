/**
 * How a capability plugs into the platform: a module installs its controllers and HTTP routes
 * on a context, and may run code once the server listens and when it stops. Kinds are not
 * registered here but in src/api/kinds/index.ts, so that the CLI knows them too.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { KindRegistry } from '../api/kind-registry.js';
import type { LocalClient } from '../client/local-client.js';
import type { EventRecorder } from '../controllers/runtime/event-recorder.js';
import type { ControllerManager } from '../controllers/runtime/manager.js';
import type { StorageBackend } from '../store/backend.js';
import type { ComputeTargets } from '../runtime/compute-target.js';
import type { AuditLog } from './audit-log.js';
import type { AuthResult, Subject } from './auth.js';
import type { RoleAuthorizer } from './role-authorizer.js';
import type { ServerConfig } from './config.js';

/** Where the server ended up listening. */
export interface ListenInfo {
  url: string;
  port: number;
}

/** What a module gets to install itself. */
export interface PlatformContext {
  cfg: ServerConfig;
  log: Logger;
  client: LocalClient;
  kinds: KindRegistry;
  manager: ControllerManager;
  backend: StorageBackend;
  /** The API server's metrics registry (served on /metrics). */
  metrics: Registry;
  /** The fastify app: routes added here share auth, errors and metrics. */
  app: FastifyInstance;
  /** The request's own credential: its bearer token, or its session cookie's token (proxies forward it). */
  credentialOf(req: unknown): string | undefined;
  /** The request's correlation id (X-Capstan-Correlation-Id, or the one the server made). */
  correlationOf(req: unknown): string | undefined;
  /** The authenticated subject of a request (undefined on public paths). */
  subjectOf(req: unknown): Subject | undefined;
  /** Authenticates an Authorization header value outside the API server (the gateway's data plane); undefined for no or unknown credentials. */
  authenticate(authorization: string | undefined): Promise<AuthResult | undefined>;
  /** The one authorizer (the gateway's data plane asks it too). */
  authorizer: RoleAuthorizer;
  /** The audit log (controllers record actions they take on a user's behalf, e.g. rollouts). */
  audit: AuditLog;
  /** Where objects run (this machine, Kubernetes clusters): modules register targets, reconcilers use them. */
  targets: ComputeTargets;
  /** An event recorder for a component. */
  recorder(component: string): EventRecorder;
  /** Runs after the server listens (e.g. to start a gateway that needs the API URL). */
  onStarted(fn: (info: ListenInfo) => Promise<void> | void): void;
  /** Runs at shutdown, in reverse order of registration, before the store closes. */
  onStop(fn: () => Promise<void> | void): void;
}

/** A capability: registry, serving, queueing, training, Kubernetes runtime, dashboard. */
export interface PlatformModule {
  name: string;
  install(ctx: PlatformContext): Promise<void> | void;
}
