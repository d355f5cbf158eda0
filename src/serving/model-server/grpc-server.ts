/**
 * The OIP v2 gRPC front end (inference.GRPCInferenceService) on @grpc/grpc-js. Requests are
 * decoded here with protobufjs rather than by grpc-js, so malformed protobuf is INVALID_ARGUMENT
 * (not INTERNAL) and raw contents stay views of the received buffer.
 */
import * as grpc from '@grpc/grpc-js';
import type * as http2 from 'node:http2';
import type { Logger } from 'pino';
import type protobuf from 'protobufjs';
import { inferenceProtoRoot } from './grpc-proto.js';
import type { HistogramChild } from './local-metrics.js';
import { grpcToInferRequest, inferResultToGrpc, type GrpcInferRequestMessage } from './grpc-codec.js';
import { badRequest, toInferError } from './infer-error.js';
import { SERVER_EXTENSIONS, SERVER_NAME, SERVER_VERSION, type ServerState } from './server-state.js';

/** What the gRPC front end needs. */
export interface GrpcServerDeps {
  state: ServerState;
  log: Logger;
  maxMessageBytes: number;
}

type Handler = (req: Record<string, unknown>) => Promise<object>;

/** Creates (does not bind) the gRPC server. */
export function createGrpcServer(deps: GrpcServerDeps): grpc.Server {
  const { state, log } = deps;
  const root = inferenceProtoRoot();
  const service = root.lookupService('inference.GRPCInferenceService');
  const server = new grpc.Server({
    'grpc.max_receive_message_length': deps.maxMessageBytes,
    'grpc.max_send_message_length': -1,
  });

  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const durations = new Map<string, HistogramChild>();
  const handlers: Record<string, Handler> = {
    ServerLive: async () => ({ live: state.live }),
    ServerReady: async () => ({ ready: state.ready }),
    ServerMetadata: async () => ({ name: SERVER_NAME, version: SERVER_VERSION, extensions: SERVER_EXTENSIONS }),
    ModelReady: async (r) => ({ ready: state.modelReady(str(r.name), str(r.version) || undefined) }),
    ModelMetadata: async (r) => state.modelMetadata(str(r.name), str(r.version) || undefined),
    ModelConfig: async (r) => ({ config: state.modelConfig(str(r.name), str(r.version) || undefined) }),
    ModelStatistics: async (r) => state.modelStatistics(str(r.name) || undefined, str(r.version) || undefined),
    RepositoryIndex: async (r) => ({ models: await state.manager.index(r.ready === true) }),
    RepositoryModelLoad: async (r) => {
      const name = str(r.model_name);
      if (!name) throw badRequest('model_name must not be empty');
      await state.loadModel(name);
      return {};
    },
    RepositoryModelUnload: async (r) => {
      const name = str(r.model_name);
      if (!name) throw badRequest('model_name must not be empty');
      await state.manager.unload(name);
      return {};
    },
    ModelInfer: async (r) => {
      const start = performance.now();
      const m = r as GrpcInferRequestMessage;
      if (!m.model_name) throw badRequest('model_name must not be empty');
      const mv = await state.manager.resolveForInference(m.model_name, m.model_version || undefined);
      const request = grpcToInferRequest(m);
      const result = await mv.infer(request);
      // Children cached per model version: labels() validates and joins the label set on every call.
      const k = `${mv.name}\u0000${mv.version}`;
      let h = durations.get(k);
      if (!h) durations.set(k, (h = state.metrics.requestSeconds.labels({ model: mv.name, version: mv.version, protocol: 'grpc' })));
      h.observe((performance.now() - start) / 1000);
      return inferResultToGrpc(result, request.id);
    },
  };

  const definition: Record<string, grpc.MethodDefinition<Buffer, object>> = {};
  const impl: grpc.UntypedServiceImplementation = {};
  for (const method of Object.values(service.methods)) {
    const reqType: protobuf.Type = root.lookupType(method.requestType);
    const resType: protobuf.Type = root.lookupType(method.responseType);
    definition[method.name] = {
      path: `/inference.GRPCInferenceService/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (o: object) => {
        // ModelInfer's response is built in the wire shape already; others may carry enum names and maps.
        const u8 = resType.encode(method.name === 'ModelInfer' ? o : resType.fromObject(o)).finish();
        // A view, not a copy: protobufjs hands back a fresh Uint8Array.
        return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
      },
      responseDeserialize: (b: Buffer) => resType.decode(b),
    };
    const handler = handlers[method.name];
    impl[method.name] = (call: grpc.ServerUnaryCall<Buffer, object>, callback: grpc.sendUnaryData<object>) => {
      const done = state.begin();
      let decoded: Record<string, unknown>;
      try {
        decoded = reqType.decode(call.request) as unknown as Record<string, unknown>;
      } catch (err) {
        done();
        callback({ code: grpc.status.INVALID_ARGUMENT, details: `malformed ${method.requestType}: ${(err as Error).message}` });
        return;
      }
      handler(decoded).then(
        (res) => { done(); callback(null, res); },
        (err) => {
          done();
          const e = toInferError(err);
          if (e.code === 'Internal') log.error({ event: 'internal_error', err: e.message }, 'internal error');
          callback({ code: e.grpcStatus, details: e.message });
        },
      );
    };
  }
  server.addService(definition as grpc.ServiceDefinition, impl);
  return server;
}

/**
 * HTTP/2 receive windows the server advertises on every gRPC connection: the connection window, and
 * each stream's initial window. node:http2's default is 65,535 bytes for both, and grpc-js' server
 * has no option to change them. With that default a client multiplexing many requests on one
 * connection can only have ~64 KB of request bodies in flight: at c=64 with 4 KB requests the
 * client sat at a zero window most of the time, batches held ~8 rows instead of up to 64, and the
 * requests queued longest in the client's flow-control queue gave a p99 15x the p50 (the server's
 * own handler time stayed under 50 ms). grpc-js reads unary request bodies as they arrive and
 * node:http2 acknowledges bytes once read, so the window never held memory back anyway (the message
 * limit does); a larger window only removes the stall.
 */
export const GRPC_CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;
export const GRPC_STREAM_WINDOW_BYTES = 1024 * 1024;

const widened = new WeakSet<object>();

/** Widens the receive windows of every HTTP/2 session the grpc-js server accepts (see above). */
function widenFlowControlWindows(server: grpc.Server, log?: Logger): void {
  // grpc-js keeps its node:http2 servers in a private map; there is no public hook for session settings.
  const servers = (server as unknown as { http2Servers?: Map<http2.Http2Server, unknown> }).http2Servers;
  if (!(servers instanceof Map)) {
    log?.warn({ event: 'grpc_window_default' }, 'grpc-js internals changed: gRPC connections keep the 64 KiB HTTP/2 windows');
    return;
  }
  for (const h2 of servers.keys()) {
    if (widened.has(h2)) continue;
    widened.add(h2);
    h2.on('session', (session: http2.ServerHttp2Session) => {
      try {
        session.settings({ initialWindowSize: GRPC_STREAM_WINDOW_BYTES });
        session.setLocalWindowSize(GRPC_CONNECTION_WINDOW_BYTES);
      } catch (err) {
        log?.warn({ event: 'grpc_window_default', err: (err as Error).message }, 'could not widen the HTTP/2 windows of a gRPC connection');
      }
    });
  }
}

/** Binds the server (with widened HTTP/2 flow-control windows); resolves with the actual port. */
export function bindGrpcServer(server: grpc.Server, host: string, port: number, log?: Logger): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) { reject(err); return; }
      widenFlowControlWindows(server, log);
      resolve(bound);
    });
  });
}
