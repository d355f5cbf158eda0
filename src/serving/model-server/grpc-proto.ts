/** Locates and parses grpc_service.proto, both from src/ (tsx) and from compiled dist/. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const RELATIVE = join('src', 'serving', 'model-server', 'grpc_service.proto');

/** Absolute path of the shipped grpc_service.proto: beside this module, else found by walking up to the repo root. */
export function grpcServiceProtoPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'grpc_service.proto');
  if (existsSync(beside)) return beside;
  // Compiled code lives in dist/src/...; tsc does not copy .proto files, so look upwards.
  let dir = here;
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, RELATIVE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find ${RELATIVE} above ${here}`);
}

let cached: protobuf.Root | undefined;

/** The parsed `inference` package (field names as in the .proto, snake_case). */
export function inferenceProtoRoot(): protobuf.Root {
  if (!cached) cached = protobuf.parse(readFileSync(grpcServiceProtoPath(), 'utf8'), { keepCase: true }).root;
  return cached;
}
