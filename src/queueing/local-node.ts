/**
 * This machine as a Node: name, cores, memory and NVIDIA GPUs (from nvidia-smi when present),
 * registered at start and kept Ready by a heartbeat.
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import { setCondition } from '../api/conditions.js';
import type { KubeObject } from '../api/meta.js';
import { GPU_PRODUCT_LABEL, GPU_RESOURCE, NodeKind, type NodeStatus } from '../api/kinds/node.js';
import type { ResourceClient } from '../client/resource-client.js';

/** One GPU as nvidia-smi reports it. */
export interface GpuInfo {
  index: number;
  name: string;
  /** e.g. "40960 MiB" */
  memory?: string;
}

/** What the local node is made of. */
export interface MachineFacts {
  hostname: string;
  cpus: number;
  memoryBytes: number;
  gpus: GpuInfo[];
  os: string;
  arch: string;
  cpuModel?: string;
}

/** A DNS-1123 name from a hostname ("My_Box.local" → "my-box.local"); "local-node" when nothing is left. */
export function nodeNameFromHostname(hostname: string): string {
  const s = hostname.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/\.{2,}/g, '.').replace(/^[-.]+|[-.]+$/g, '').slice(0, 253).replace(/[-.]+$/, '');
  return s || 'local-node';
}

/** A label value from free text ("NVIDIA A100-SXM4-40GB" → "NVIDIA-A100-SXM4-40GB"), as GPU feature discovery writes it. */
export function labelValue(text: string): string {
  return text.trim().replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '').slice(0, 63).replace(/[^A-Za-z0-9]+$/, '');
}

/** Parses `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader`; malformed lines are skipped. */
export function parseNvidiaSmi(text: string): GpuInfo[] {
  const out: GpuInfo[] = [];
  for (const line of text.split('\n')) {
    const parts = line.split(',').map((p) => p.trim());
    if (parts.length < 2 || !/^\d+$/.test(parts[0]) || !parts[1]) continue;
    out.push({ index: Number(parts[0]), name: parts[1], ...(parts[2] ? { memory: parts[2] } : {}) });
  }
  return out;
}

/** GPUs on this machine; none when nvidia-smi is absent or fails. */
export function detectGpus(timeoutMs = 5000): Promise<GpuInfo[]> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['--query-gpu=index,name,memory.total', '--format=csv,noheader'], { timeout: timeoutMs }, (err, stdout) => {
      resolve(err ? [] : parseNvidiaSmi(String(stdout)));
    });
  });
}

/** Facts about this machine. */
export async function machineFacts(): Promise<MachineFacts> {
  return {
    hostname: os.hostname(), cpus: os.availableParallelism?.() ?? os.cpus().length, memoryBytes: os.totalmem(),
    gpus: await detectGpus(), os: os.platform(), arch: os.arch(), cpuModel: os.cpus()[0]?.model,
  };
}

/** Memory as a whole number of MiB, never more than the machine has. */
export function memoryQuantity(bytes: number): string {
  return `${Math.floor(bytes / 2 ** 20)}Mi`;
}

/** The Node object (spec + labels) for a machine. */
export function localNodeManifest(f: MachineFacts): KubeObject {
  const name = nodeNameFromHostname(f.hostname);
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': name.slice(0, 63).replace(/[-.]+$/, ''),
    'kubernetes.io/os': labelValue(f.os),
    'kubernetes.io/arch': labelValue(f.arch),
    'capstan.dev/local': 'true',
  };
  if (f.gpus.length) {
    labels[GPU_PRODUCT_LABEL] = labelValue(f.gpus[0].name);
    labels['nvidia.com/gpu.count'] = String(f.gpus.length);
  }
  return {
    apiVersion: NodeKind.apiVersion,
    kind: NodeKind.kind,
    metadata: { name, labels } as KubeObject['metadata'],
    spec: { capacity: { cpu: String(f.cpus), memory: memoryQuantity(f.memoryBytes), [GPU_RESOURCE]: String(f.gpus.length) } },
  };
}

/** The reported status of the local node: capacity = allocatable, GPUs, Ready. */
export function localNodeStatus(f: MachineFacts, cur: NodeStatus | undefined, now: string): NodeStatus {
  const capacity = { cpu: String(f.cpus), memory: memoryQuantity(f.memoryBytes), [GPU_RESOURCE]: String(f.gpus.length) };
  return {
    capacity,
    allocatable: capacity,
    gpus: f.gpus,
    nodeInfo: { hostname: f.hostname, os: f.os, arch: f.arch, ...(f.cpuModel ? { cpuModel: f.cpuModel } : {}) },
    lastHeartbeatTime: now,
    conditions: setCondition(cur?.conditions, { type: 'Ready', status: 'True', reason: 'CapstanReady', message: 'The Capstan server on this machine is running' }, now),
  };
}

/** Creates or refreshes this machine's Node and marks it Ready; returns the stored object. */
export async function registerLocalNode(client: ResourceClient, f: MachineFacts, now: () => Date = () => new Date()): Promise<KubeObject> {
  const manifest = localNodeManifest(f);
  const cur = await client.tryGet(NodeKind, undefined, manifest.metadata.name);
  // Labels users added (e.g. a zone) are kept; the machine's own facts are refreshed.
  const labels = { ...(cur?.metadata.labels ?? {}), ...manifest.metadata.labels };
  const saved = cur
    ? await client.patch(NodeKind, undefined, manifest.metadata.name, { metadata: { labels }, spec: manifest.spec })
    : await client.create(NodeKind, manifest);
  return client.updateStatus(NodeKind, { ...saved, status: localNodeStatus(f, saved.status as NodeStatus | undefined, now().toISOString()) });
}
