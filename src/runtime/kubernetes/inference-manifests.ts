/**
 * Pure generator: one InferenceService revision → the Kubernetes objects that run it. The
 * Service is the root (one per InferenceService, stable across revisions); each revision's
 * Deployment, its HPA and the optional Ingress are owned by it, so deleting the Service (or the
 * Capstan object) lets the cluster's garbage collector remove the rest.
 */
import { createHash } from 'node:crypto';
import { dnsLabel, LABELS, managedLabels, type CapstanOwner, type Manifest } from './managed-labels.js';

/** Requests/limits of one replica, as Kubernetes quantities. */
export interface ReplicaResources {
  cpu?: string | number;
  memory?: string | number;
  /** Whole GPUs: becomes `nvidia.com/gpu` in both requests and limits (Kubernetes requires equal). */
  gpu?: number;
  /** Limits above requests; unset means limits = requests for memory and GPU, none for cpu. */
  cpuLimit?: string | number;
  memoryLimit?: string | number;
}

/** A toleration as Kubernetes spells it. */
export interface PodToleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

/** Probe timing for the model server's OIP health endpoints. */
export interface ProbeTiming {
  initialDelaySeconds?: number;
  periodSeconds?: number;
  failureThreshold?: number;
  timeoutSeconds?: number;
}

/** Everything the generator needs for one revision: small, so any caller can build it. */
export interface IsvcRevisionInput {
  /** The InferenceService name (also the Service name and the OIP model name). */
  name: string;
  /** The Kubernetes namespace (normally the Capstan project's name). */
  namespace: string;
  /** The Capstan object's uid (labels; cleanup finds objects by it). */
  uid: string;
  /** A short revision id, e.g. "00002" or a hash prefix. */
  revision: string;
  /** The Capstan image (it runs `capstan model-server`). */
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Where replicas download the ONNX model (the registry's blob URL, HTTP). */
  modelUrl: string;
  /** The Secret (key `token`) holding the scoped registry token; omitted: no Authorization header. */
  registryTokenSecret?: string;
  /** The token's plain text when it was just issued: the Secret is applied with it (otherwise left as it is on the cluster). */
  registryToken?: string;
  replicas: number;
  resources?: ReplicaResources;
  nodeSelector?: Record<string, string>;
  tolerations?: PodToleration[];
  probes?: { readiness?: ProbeTiming; liveness?: ProbeTiming };
  /** How replicas scale: cpu/memory → an HPA; concurrency/rps → Capstan sets replicas via /scale. */
  scaleMetric?: 'concurrency' | 'rps' | 'cpu' | 'memory';
  /** Target average utilization percent for cpu/memory. */
  scaleTarget?: number;
  minReplicas?: number;
  maxReplicas?: number;
  /** Adds an Ingress routing the seeds' paths (/predict, /models) and OIP's /v2 to the Service. */
  ingress?: { host?: string; className?: string; pathPrefix?: string };
  priorityClassName?: string;
  serviceAccountName?: string;
  /** Extra env for the model server container. */
  env?: Record<string, string>;
  /** Seconds a replica may drain in-flight requests after SIGTERM. */
  terminationGracePeriodSeconds?: number;
}

/** The objects of one revision: `root` first (applied first), then its dependents. */
export interface ManifestSet {
  owner: CapstanOwner;
  root: Manifest;
  dependents: Manifest[];
  /** The root is not Capstan's own object (an adopted namespace's first dependent): dependents get no owner reference to it. */
  adopted?: boolean;
}

/** Port the model server listens on inside the pod. */
export const MODEL_SERVER_PORT = 8080;
const MODEL_DIR = '/models';

// Runs in the init container with the same image: node is there, no curl needed. It streams the
// model to the shared emptyDir and fails loudly (non-zero exit → Init:Error) on any HTTP error.
const FETCH_SCRIPT = [
  "const fs=require('node:fs');",
  "const h=process.env.CAPSTAN_REGISTRY_TOKEN?{authorization:'Bearer '+process.env.CAPSTAN_REGISTRY_TOKEN}:{};",
  "fetch(process.env.CAPSTAN_MODEL_URL,{headers:h}).then(async r=>{",
  "if(!r.ok){console.error('model download failed: HTTP '+r.status+' '+(await r.text()).slice(0,500));process.exit(1)}",
  "fs.writeFileSync(process.env.CAPSTAN_MODEL_PATH,Buffer.from(await r.arrayBuffer()));console.log('model downloaded')",
  "}).catch(e=>{console.error('model download failed: '+e.message);process.exit(1)})",
].join('');

/**
 * What a container asks for when its object says nothing: a namespace with a ResourceQuota
 * (every Capstan project with a queue) refuses pods whose containers declare no requests
 * (`must specify requests.cpu`), so every container Capstan writes declares them.
 */
export const DEFAULT_CONTAINER_RESOURCES = { cpu: '100m', memory: '256Mi' } as const;

/**
 * Kubernetes resources (requests, limits) from Capstan's per-replica resources, for every
 * container: cpu and memory requests always (defaults above), a memory limit always (= the
 * request unless memoryLimit), a cpu limit when cpuLimit is set, GPUs as requests = limits.
 */
export function resourceRequirements(given: ReplicaResources | undefined): { requests?: Record<string, string>; limits?: Record<string, string> } {
  const r: ReplicaResources = { ...given, cpu: given?.cpu ?? DEFAULT_CONTAINER_RESOURCES.cpu, memory: given?.memory ?? DEFAULT_CONTAINER_RESOURCES.memory };
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  requests.cpu = String(r.cpu);
  requests.memory = String(r.memory);
  limits.memory = String(r.memoryLimit ?? r.memory);
  if (r.cpuLimit !== undefined) limits.cpu = String(r.cpuLimit);
  if (r.gpu !== undefined && r.gpu > 0) {
    requests['nvidia.com/gpu'] = String(r.gpu);
    limits['nvidia.com/gpu'] = String(r.gpu);
  }
  return { ...(Object.keys(requests).length ? { requests } : {}), ...(Object.keys(limits).length ? { limits } : {}) };
}

function probe(path: string, t: ProbeTiming | undefined, d: Required<ProbeTiming>): Record<string, unknown> {
  return {
    httpGet: { path, port: 'http' },
    initialDelaySeconds: t?.initialDelaySeconds ?? d.initialDelaySeconds,
    periodSeconds: t?.periodSeconds ?? d.periodSeconds,
    failureThreshold: t?.failureThreshold ?? d.failureThreshold,
    timeoutSeconds: t?.timeoutSeconds ?? d.timeoutSeconds,
  };
}

/** The Deployment's name for a revision. */
export function revisionDeploymentName(name: string, revision: string): string {
  return dnsLabel(name, revision);
}

/** The name of an InferenceService's registry-token Secret. */
export function registryTokenSecretName(service: string): string {
  return dnsLabel(service, 'registry-token');
}

/** The Secret holding a service's scoped registry token (key `token`), labelled like every object of the service. */
export function registryTokenSecretManifest(owner: CapstanOwner, name: string, token: string, annotations?: Record<string, string>): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: owner.namespace, labels: managedLabels(owner), ...(annotations ? { annotations } : {}) },
    type: 'Opaque',
    stringData: { token },
  };
}

/** Builds the Service, (registry-token Secret), Deployment, optional HPA and Ingress of a revision. */
export function inferenceRevisionManifests(input: IsvcRevisionInput): ManifestSet {
  const owner: CapstanOwner = { kind: 'InferenceService', name: input.name, uid: input.uid, namespace: input.namespace };
  const base = managedLabels(owner);
  const svcName = dnsLabel(input.name);
  const depName = revisionDeploymentName(input.name, input.revision);
  const podLabels = { ...base, [LABELS.revision]: input.revision };
  const env: Record<string, unknown>[] = [
    { name: 'CAPSTAN_MODEL_URL', value: input.modelUrl },
    { name: 'CAPSTAN_MODEL_PATH', value: `${MODEL_DIR}/model.onnx` },
    ...(input.registryTokenSecret ? [{ name: 'CAPSTAN_REGISTRY_TOKEN', valueFrom: { secretKeyRef: { name: input.registryTokenSecret, key: 'token' } } }] : []),
  ];
  const securityContext = { runAsNonRoot: true, runAsUser: 10001, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
  const pull = input.imagePullPolicy ? { imagePullPolicy: input.imagePullPolicy } : {};
  const deployment: Manifest = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: depName, namespace: input.namespace, labels: podLabels },
    spec: {
      // An HPA or Capstan's autoscaler owns replicas afterwards; SSA keeps our value only as the start.
      replicas: input.replicas,
      selector: { matchLabels: { [LABELS.uid]: base[LABELS.uid], [LABELS.revision]: input.revision } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: podLabels },
        spec: {
          ...(input.serviceAccountName ? { serviceAccountName: input.serviceAccountName } : {}),
          ...(input.priorityClassName ? { priorityClassName: input.priorityClassName } : {}),
          ...(input.nodeSelector && Object.keys(input.nodeSelector).length ? { nodeSelector: input.nodeSelector } : {}),
          ...(input.tolerations?.length ? { tolerations: input.tolerations } : {}),
          terminationGracePeriodSeconds: input.terminationGracePeriodSeconds ?? 30,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001 },
          initContainers: [
            // The download holds the model in memory once: the replica's own cpu/memory (never its GPU).
            { name: 'fetch-model', image: input.image, ...pull, command: ['node', '-e', FETCH_SCRIPT], env, resources: resourceRequirements({ ...input.resources, gpu: undefined }), volumeMounts: [{ name: 'model', mountPath: MODEL_DIR }], securityContext },
          ],
          containers: [
            {
              name: 'model-server',
              image: input.image,
              ...pull,
              args: ['model-server', '--model', `${input.name}=${MODEL_DIR}/model.onnx`, '--host', '0.0.0.0', '--http-port', String(MODEL_SERVER_PORT)],
              ports: [{ name: 'http', containerPort: MODEL_SERVER_PORT, protocol: 'TCP' }],
              env: [
                ...Object.entries(input.env ?? {}).map(([name, value]) => ({ name, value })),
                ...(input.resources?.gpu ? [] : [{ name: 'CUDA_VISIBLE_DEVICES', value: '' }]),
              ],
              resources: resourceRequirements(input.resources),
              readinessProbe: probe('/v2/health/ready', input.probes?.readiness, { initialDelaySeconds: 2, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 2 }),
              livenessProbe: probe('/v2/health/live', input.probes?.liveness, { initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 }),
              volumeMounts: [{ name: 'model', mountPath: MODEL_DIR, readOnly: true }, { name: 'tmp', mountPath: '/tmp' }],
              securityContext,
            },
          ],
          volumes: [
            { name: 'model', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
  const service: Manifest = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: svcName, namespace: input.namespace, labels: base },
    spec: {
      type: 'ClusterIP',
      // Every ready revision's pods: a canary gets traffic in proportion to its replicas here;
      // exact percentages need Capstan's gateway (docs/kubernetes.md).
      selector: { [LABELS.uid]: base[LABELS.uid] },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  };
  // The Secret before the Deployment, so the first pods find it.
  const dependents: Manifest[] = [
    ...(input.registryTokenSecret && input.registryToken !== undefined ? [registryTokenSecretManifest(owner, input.registryTokenSecret, input.registryToken)] : []),
    deployment,
  ];
  if (input.scaleMetric === 'cpu' || input.scaleMetric === 'memory') {
    dependents.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: depName, namespace: input.namespace, labels: podLabels },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: depName },
        minReplicas: Math.max(1, input.minReplicas ?? 1),
        maxReplicas: Math.max(1, input.maxReplicas ?? Math.max(1, input.replicas)),
        metrics: [{ type: 'Resource', resource: { name: input.scaleMetric, target: { type: 'Utilization', averageUtilization: input.scaleTarget ?? 80 } } }],
      },
    });
  }
  if (input.ingress) {
    const prefix = (input.ingress.pathPrefix ?? '').replace(/\/+$/, '');
    const backend = { service: { name: svcName, port: { name: 'http' } } };
    const paths = ['/predict', '/models', '/v2', '/v1'].map((p) => ({ path: `${prefix}${p}`, pathType: 'Prefix', backend }));
    dependents.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: svcName, namespace: input.namespace, labels: base },
      spec: {
        ...(input.ingress.className ? { ingressClassName: input.ingress.className } : {}),
        rules: [{ ...(input.ingress.host ? { host: input.ingress.host } : {}), http: { paths } }],
      },
    });
  }
  // What was applied, on the Deployment: a reconcile that would apply the same writes nothing.
  // The token Secret's plain text is not part of it (it is applied only when issued).
  const hashed = { service, dependents: dependents.filter((m) => m.kind !== 'Secret') };
  (deployment.metadata as { annotations?: Record<string, string> }).annotations = { [APPLIED_HASH_ANNOTATION]: createHash('sha256').update(JSON.stringify(hashed)).digest('hex').slice(0, 16) };
  return { owner, root: service, dependents };
}

/** The Deployment annotation recording the hash of what a revision's apply wrote. */
export const APPLIED_HASH_ANNOTATION = 'capstan.dev/applied-hash';
