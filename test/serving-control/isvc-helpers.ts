/** Helpers of the InferenceService end-to-end tests: models on disk, waiting on status, inference calls, a load loop. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InferenceServiceKind, type InferenceServiceStatus } from '../../src/api/kinds/inference-service.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { ResourceClient } from '../../src/client/resource-client.js';
import { buildMlpOnnx } from '../../src/onnx/index.js';

/** Writes y = x0 + 2·x1 + bias as an ONNX file and returns its file:// URI. */
export function writeModel(dir: string, name: string, bias: number): string {
  const file = join(dir, `${name}.onnx`);
  writeFileSync(file, buildMlpOnnx({ inputSize: 2, layers: [{ out: 1, weights: Float32Array.from([1, 2]), bias: Float32Array.from([bias]), activation: 'none' }] }));
  return pathToFileURL(file).href;
}

/** An InferenceService manifest. */
export function isvcManifest(name: string, predictor: Record<string, unknown>, extra: Record<string, unknown> = {}, annotations: Record<string, string> = {}): Record<string, unknown> {
  return { apiVersion: 'capstan.dev/v1alpha1', kind: 'InferenceService', metadata: { name, namespace: 'default', annotations }, spec: { predictor, ...extra } };
}

/** Polls the object until `pred` holds; the error names the last status. */
export async function waitFor(client: ResourceClient, name: string, what: string, pred: (s: InferenceServiceStatus, o: KubeObject) => boolean, timeoutMs = 90_000): Promise<KubeObject> {
  const end = Date.now() + timeoutMs;
  let last: KubeObject | undefined;
  for (;;) {
    last = await client.tryGet(InferenceServiceKind, 'default', name);
    const status = (last?.status ?? {}) as InferenceServiceStatus;
    // only a status that has seen the latest spec counts
    if (last && status.observedGeneration === last.metadata.generation && pred(status, last)) return last;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(last?.status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** True when the condition has status True. */
export function condTrue(s: InferenceServiceStatus, type: string): boolean {
  return s.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

let gatewayToken: string | undefined;

/** The bearer token the helpers send to the gateway (services are private by default). */
export function useGatewayToken(token: string | undefined): void {
  gatewayToken = token;
}

function gatewayHeaders(): Record<string, string> {
  return { 'content-type': 'application/json', ...(gatewayToken ? { authorization: `Bearer ${gatewayToken}` } : {}) };
}

/** OIP REST inference of one row; returns the output value and the revision that answered. */
export async function inferV2(url: string, service: string, x: [number, number]): Promise<{ status: number; value?: number; revision?: string }> {
  const res = await fetch(`${url}/v2/models/${service}/infer`, {
    method: 'POST',
    headers: gatewayHeaders(),
    body: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 2], datatype: 'FP32', data: x }] }),
  });
  const body = (await res.json()) as { outputs?: Array<{ data: number[] }> };
  return { status: res.status, value: body.outputs?.[0]?.data[0], revision: res.headers.get('x-capstan-revision') ?? undefined };
}

/** KServe V1 predict of one row. */
export async function predictV1(url: string, service: string, x: [number, number]): Promise<{ status: number; value?: number }> {
  const res = await fetch(`${url}/v1/models/${service}:predict`, { method: 'POST', headers: gatewayHeaders(), body: JSON.stringify({ instances: [x] }) });
  const body = (await res.json()) as { predictions?: number[][] };
  return { status: res.status, value: body.predictions?.[0]?.[0] };
}

/** Runs `concurrency` request loops until stop(); counts answers by status and by value. */
export function loadLoop(url: string, service: string, concurrency: number): { stop: () => Promise<{ ok: number; failed: number; failures: string[]; values: Map<number, number> }> } {
  let running = true;
  let ok = 0;
  let failed = 0;
  const failures: string[] = [];
  const values = new Map<number, number>();
  const worker = async (): Promise<void> => {
    while (running) {
      try {
        const r = await inferV2(url, service, [1, 1]);
        if (r.status === 200 && r.value !== undefined) {
          ok++;
          values.set(r.value, (values.get(r.value) ?? 0) + 1);
        } else {
          failed++;
          failures.push(`HTTP ${r.status}`);
        }
      } catch (err) {
        failed++;
        failures.push((err as Error).message);
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      return { ok, failed, failures, values };
    },
  };
}
