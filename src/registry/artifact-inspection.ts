/** Opens a pushed model to read its signature, refusing files that are not models of their declared format. */
import { ApiError } from '../api/errors.js';
import type { ModelSignature } from '../api/kinds/model-version.js';
import type { BlobStore } from '../artifacts/index.js';
import { inspectOnnx } from '../onnx/index.js';

/** A file of the artifact as the inspector sees it. */
export interface InspectedFile {
  path: string;
  sha256: string;
  size: number;
}

/** Result of inspection: a signature when one could be read, or a note saying why not. */
export interface Inspection {
  signature?: ModelSignature;
  note?: string;
}

async function readAll(store: BlobStore, sha256: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await store.get(sha256)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The file of a directory artifact that holds the ONNX graph: `model.onnx`, else the only `*.onnx`. */
export function onnxEntry(files: readonly InspectedFile[]): InspectedFile | undefined {
  const onnx = files.filter((f) => f.path.toLowerCase().endsWith('.onnx'));
  return onnx.find((f) => f.path === 'model.onnx' || f.path.endsWith('/model.onnx')) ?? (onnx.length === 1 ? onnx[0] : onnx.sort((a, b) => (a.path < b.path ? -1 : 1))[0]);
}

/**
 * Reads the signature of an ONNX artifact (other formats are stored as they are). Invalid ONNX →
 * 422 naming `format`; an ONNX file above `maxInspectBytes` is accepted unread, with a note, so
 * memory stays bounded whatever the size.
 */
export async function inspectArtifact(store: BlobStore, format: string, files: readonly InspectedFile[], maxInspectBytes: number): Promise<Inspection> {
  if (format !== 'onnx') return {};
  const entry = onnxEntry(files);
  if (!entry) {
    throw new ApiError('Invalid', 'format is onnx but the artifact has no .onnx file', {
      causes: [{ reason: 'FieldValueInvalid', field: 'format', message: 'no .onnx file in the artifact' }],
    });
  }
  if (entry.size > maxInspectBytes) return { note: `${entry.path} is larger than ${maxInspectBytes} bytes: signature not read` };
  let info;
  try {
    info = inspectOnnx(await readAll(store, entry.sha256));
  } catch (err) {
    const why = (err as Error).message;
    throw new ApiError('Invalid', `${entry.path} is not a valid ONNX model (${why}); push it with its real --format`, {
      causes: [{ reason: 'FieldValueInvalid', field: 'format', message: `${entry.path}: ${why}` }],
    });
  }
  return {
    signature: {
      opset: info.opset,
      irVersion: info.irVersion,
      ...(info.producerName ? { producer: info.producerName.slice(0, 256) } : {}),
      inputs: info.inputs,
      outputs: info.outputs,
    },
  };
}
