/**
 * The OIP v2 gRPC front end (inference.GRPCInferenceService) on @grpc/grpc-js. Requests are
 * decoded here with protobufjs rather than by grpc-js, so malformed protobuf is INVALID_ARGUMENT
 * (not INTERNAL) and raw contents stay views of the received buffer.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type protobuf from 'protobufjs';
import { inferenceProtoRoot } from './grpc-proto.js';
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
  const handlers: Record<string, Handler> = {
    ServerLive: async () => ({ live: state.live }),
    ServerReady: async () => ({ ready: state.ready }),
    ServerMetadata: async () => ({ name: SERVER_NAME, version: SERVER_VERSION, extensions: SERVER_EXTENSIONS }),
    ModelReady: async (r) => ({ ready: state.modelReady(str(r.name), str(r.version) || undefined) }),
    ModelMetadata: async (r) => state.modelMetadata(str(r.name), str(r.version) || undefined),
    ModelInfer: async (r) => {
      const start = performance.now();
      const m = r as GrpcInferRequestMessage;
      if (!m.model_name) throw badRequest('model_name must not be empty');
      const mv = state.manager.resolve(m.model_name, m.model_version || undefined);
      const request = grpcToInferRequest(m);
      const result = await mv.infer(request);
      state.metrics.requestSeconds.labels({ model: mv.name, version: mv.version, protocol: 'grpc' }).observe((performance.now() - start) / 1000);
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
        const u8 = resType.encode(o).finish();
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

/** Binds the server; resolves with the actual port. */
export function bindGrpcServer(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}
