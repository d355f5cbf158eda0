/** A promise-based OIP gRPC client for tests and benchmarks, generated from the shipped proto. */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { grpcServiceProtoPath } from '../../src/serving/model-server/index.js';

/** Calls a unary method by name with a plain request object. */
export type GrpcCall = (method: string, req: object) => Promise<any>;

/** Opens a client to 127.0.0.1:port; call close() when done. */
export function grpcClient(port: number): { call: GrpcCall; close: () => void; raw: grpc.Client } {
  const def = protoLoader.loadSync(grpcServiceProtoPath(), { keepCase: true, longs: Number, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as any;
  const client = new pkg.inference.GRPCInferenceService(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
  });
  const call: GrpcCall = (method, req) => new Promise((resolve, reject) => {
    client[method](req, (err: grpc.ServiceError | null, res: unknown) => (err ? reject(err) : resolve(res)));
  });
  return { call, close: () => client.close(), raw: client };
}
