/**
 * The Capstan model server (data plane): ONNX models from a Triton-style repository, served over
 * OIP v2 REST (+ binary and repository extensions), OIP v2 gRPC and KServe V1, with dynamic batching.
 */
import { availableParallelism } from 'node:os';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import type * as grpc from '@grpc/grpc-js';
import { ModelManager } from './model-manager.js';
import { ModelServerMetrics } from './metrics.js';
import { ServerState } from './server-state.js';
import { createHttpServer } from './http-server.js';
import { bindGrpcServer, createGrpcServer } from './grpc-server.js';
import { parseModelArg, type ModelSource } from './model-repository.js';
import { parseModelServerArgs } from './cli-options.js';

/** Options of runModelServer. */
export interface ModelServerOptions {
  /** Triton-style repository: `<repo>/<model>/<version>/model.onnx` (+ config.json|yaml). */
  modelRepository?: string;
  /** Extra models: a single .onnx file (served as version 1) or a model directory. */
  models?: ModelSource[];
  /** 0 = ephemeral. */
  httpPort: number;
  /** Omit to run without gRPC; 0 = ephemeral. */
  grpcPort?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** onnxruntime threads: intra-op chosen per model at load when omitted (session-tuning.ts), inter-op 1. */
  threads?: { intraOp?: number; interOp?: number };
  /** Cores this server may use (default: the machine's); bounds the chosen intra-op threads. */
  cpuBudget?: number;
  /** 'cuda' falls back to CPU with a log line when unavailable. Default 'cpu'. */
  executionProvider?: 'cpu' | 'cuda';
  /** Where session.run executes: 'auto' (default: a worker thread when a full batch computes long, see session-tuning.ts), a worker thread per model version, or the event loop. */
  sessionThread?: 'worker' | 'event-loop' | 'auto';
  /** Memory the loaded models may hold together; least recently used idle models are evicted to stay within it. */
  memoryBudgetBytes?: number;
  /** Load no model at start: each loads on its first inference request (also implied for evicted models by a budget). */
  loadOnDemand?: boolean;
  /** Largest request body (after decompression) / gRPC message. Default 64 MiB. */
  maxBodyBytes?: number;
  logger?: Logger;
  /** Metrics registry; a fresh one if omitted. */
  registry?: Registry;
}

/** A running model server. */
export interface ModelServerHandle {
  httpPort: number;
  grpcPort?: number;
  registry: Registry;
  models: ModelManager;
  /** Stops accepting, answers everything in flight and queued, then frees all sessions. */
  close(): Promise<void>;
}

/** Default request body limit. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Starts the model server; resolves once models are loaded (broken ones reported) and ports listen. */
export async function runModelServer(opts: ModelServerOptions): Promise<ModelServerHandle> {
  const log = opts.logger ?? pino({ level: 'info' }, pino.destination(2));
  const host = opts.host ?? '127.0.0.1';
  const registry = opts.registry ?? new Registry();
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const metrics = new ModelServerMetrics(registry);
  const runtime = Object.freeze({
    executionProvider: opts.executionProvider ?? 'cpu',
    intraOpThreads: opts.threads?.intraOp,
    cpuBudget: Math.max(1, opts.cpuBudget ?? availableParallelism()),
    interOpThreads: opts.threads?.interOp ?? 1,
    sessionThread: opts.sessionThread ?? 'auto',
  });
  if (!opts.modelRepository && (opts.models ?? []).length === 0) throw new Error('runModelServer: give modelRepository or models');
  const manager = new ModelManager({ repository: opts.modelRepository, models: opts.models }, runtime, metrics, log, {
    memoryBudgetBytes: opts.memoryBudgetBytes, loadOnDemand: opts.loadOnDemand,
  });
  const state = new ServerState(manager, metrics);

  await manager.loadAll();
  state.loaded = true;

  const http = createHttpServer({ state, registry, log, maxBodyBytes });
  const httpPort = await http.listen(opts.httpPort, host);

  let grpcServer: grpc.Server | undefined;
  let grpcPort: number | undefined;
  if (opts.grpcPort !== undefined) {
    grpcServer = createGrpcServer({ state, log, maxMessageBytes: maxBodyBytes });
    try {
      grpcPort = await bindGrpcServer(grpcServer, host, opts.grpcPort, log);
    } catch (err) {
      await Promise.race([http.close(), new Promise((r) => setTimeout(r, 100))]);
      http.closeAllConnections();
      await manager.close();
      throw err;
    }
  }
  log.info({ event: 'listening', httpPort, grpcPort, runtime, ready: state.ready }, 'model server listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      state.shuttingDown = true;
      log.info({ event: 'draining' }, 'draining: no new connections, finishing in-flight and queued requests');
      const httpClosed = http.close();
      const grpcClosed = grpcServer
        ? new Promise<void>((r) => grpcServer!.tryShutdown(() => r()))
        : Promise.resolve();
      await state.idle();
      await manager.drain();
      http.closeIdleConnections();
      await Promise.race([httpClosed, new Promise((r) => setTimeout(r, 2000))]);
      http.closeAllConnections();
      await grpcClosed;
      await manager.close();
      log.info({ event: 'stopped' }, 'model server stopped');
    })();
    return closing;
  };
  return { httpPort, grpcPort, registry, models: manager, close };
}

/** The `capstan model-server` entry: parses flags, serves, prints `{"event":"ready",...}` on stdout, drains on SIGTERM/SIGINT and exits 0. */
export async function modelServerMain(argv: string[]): Promise<ModelServerHandle> {
  const cli = parseModelServerArgs(argv);
  // stdout carries only the ready line; logs go to stderr.
  const log = pino({ level: cli.logLevel, base: { component: 'model-server' } }, pino.destination(2));
  log.info({ event: 'config', config: cli }, 'model server configuration');
  const models = await Promise.all(cli.models.map(parseModelArg));
  const handle = await runModelServer({
    modelRepository: cli.modelRepository,
    models,
    httpPort: cli.httpPort,
    grpcPort: cli.grpcPort,
    host: cli.host,
    threads: { intraOp: cli.intraOpThreads, interOp: cli.interOpThreads },
    cpuBudget: cli.cpuBudget,
    memoryBudgetBytes: cli.memoryBudgetBytes,
    loadOnDemand: cli.loadOnDemand,
    sessionThread: cli.sessionThread,
    executionProvider: cli.executionProvider,
    maxBodyBytes: cli.maxBodyBytes,
    logger: log,
  });
  const onSignal = (sig: string): void => {
    log.info({ event: 'signal', signal: sig }, 'shutting down');
    handle.close().then(() => process.exit(0), (err) => {
      log.error({ event: 'shutdown_failed', err: (err as Error).message }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.stdout.write(`${JSON.stringify({ event: 'ready', httpPort: handle.httpPort, grpcPort: handle.grpcPort ?? null })}\n`);
  return handle;
}

export type { ModelSource } from './model-repository.js';
export type { ModelVersionState } from './model-manager.js';
export { ModelManager } from './model-manager.js';
export { InferError } from './infer-error.js';
export { decideBatch } from './batch-policy.js';
export type { BatchDecision, BatchPolicyConfig, QueuedRequestView } from './batch-policy.js';
export { grpcServiceProtoPath } from './grpc-proto.js';
export { parseModelServerArgs } from './cli-options.js';
