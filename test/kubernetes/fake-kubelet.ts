/**
 * A kubelet for the fake API server: every new Pod's one container runs here as a real child
 * process (its command, args, env and working directory; the image is ignored), and the pod's
 * status follows it as a kubelet would report it: Running and Ready once spawned, Succeeded or
 * Failed with the container's exit code when it ends (restartPolicy OnFailure restarts it in
 * place, counting restartCount). Deleting the pod kills the process. Its output is the pod's log.
 * So the same replica set runs on the local target and on the "cluster" in the contract suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { FakeKubeApi } from './fake-kube-api.js';

interface PodEvent {
  kind: string;
  metadata: { name: string; namespace?: string; deletionTimestamp?: string };
  spec?: unknown;
  status?: unknown;
}

interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  workingDir?: string;
}

/** Runs the fake cluster's pods on this machine. */
export class FakeKubelet {
  private readonly procs = new Map<string, ChildProcess>();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly listener = (type: string, obj: Record<string, any>): void => this.onEvent(type, obj as PodEvent);

  constructor(private readonly fake: FakeKubeApi) {
    fake.listeners.add(this.listener);
  }

  /** Stops listening and kills every pod's process. */
  stop(): void {
    this.fake.listeners.delete(this.listener);
    for (const p of this.procs.values()) p.kill('SIGKILL');
    this.procs.clear();
  }

  private onEvent(type: string, obj: PodEvent): void {
    if (obj.kind !== 'Pod') return;
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    if (type === 'DELETED' || obj.metadata.deletionTimestamp) {
      this.procs.get(key)?.kill('SIGKILL');
      this.procs.delete(key);
      return;
    }
    if (type === 'ADDED' && !this.procs.has(key) && !(obj.status as { phase?: string } | undefined)?.phase) this.run(key, obj.metadata.namespace!, obj.metadata.name, obj.spec as { containers: Container[]; restartPolicy?: string }, 0);
  }

  private run(key: string, namespace: string, name: string, spec: { containers: Container[]; restartPolicy?: string }, restarts: number): void {
    const c = spec.containers[0]!;
    const argv = [...(c.command ?? []), ...(c.args ?? [])];
    const env = { PATH: process.env.PATH ?? '', ...Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? ''])) };
    const child = spawn(argv[0]!, argv.slice(1), { env, cwd: c.workingDir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.set(key, child);
    const append = (b: Buffer) => this.fake.podLogs.set(key, (this.fake.podLogs.get(key) ?? '') + b.toString('utf8'));
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    const status = (phase: string, state: Record<string, unknown>, ready: boolean, extra: Record<string, unknown> = {}) => {
      if (this.procs.get(key) !== child) return;
      try {
        this.fake.setStatus('v1', 'Pod', namespace, name, {
          phase,
          conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }, { type: 'PodScheduled', status: 'True' }],
          containerStatuses: [{ name: c.name, ready, restartCount: restarts, image: 'fake', imageID: '', state, ...extra }],
        });
      } catch {
        // The pod is gone.
      }
    };
    child.on('spawn', () => status('Running', { running: { startedAt: new Date().toISOString() } }, true));
    child.on('error', (err) => status('Failed', { terminated: { exitCode: 128, reason: 'StartError', message: err.message } }, false));
    child.on('exit', (code, signal) => {
      if (this.procs.get(key) !== child) return;
      const exitCode = code ?? 137;
      if (exitCode !== 0 && spec.restartPolicy === 'OnFailure') {
        status('Running', { waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting failed container ${c.name}` } }, false, { lastState: { terminated: { exitCode } } });
        this.procs.delete(key);
        this.run(key, namespace, name, spec, restarts + 1);
        return;
      }
      status(exitCode === 0 ? 'Succeeded' : 'Failed', { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : signal ? 'Killed' : 'Error', message: `exit code ${exitCode}` } }, false);
      this.procs.delete(key);
    });
  }
}
