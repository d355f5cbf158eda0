/**
 * An in-process fake Kubernetes API server (node:http) with the REST semantics the runtime
 * relies on: discovery, create/get/list/watch/apply/delete, resourceVersion, 401/403/404/409/422,
 * server-side apply field ownership (leaf paths per manager, conflicts unless force), the scale
 * subresource, finalizers, terminating namespaces, quotas and ownerReference garbage collection.
 * Tests drive "the rest of the cluster" (kubelet, controllers) through its methods.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { assertValidManifest } from './validate-manifest.js';
import { apiVersionOf, deepMerge, FAKE_RESOURCES, leafPaths, matchesSelector, parsePath, removePath, type FakeResource } from './fake-kube-resources.js';

type Obj = { apiVersion: string; kind: string; metadata: Record<string, any>; [k: string]: any };
interface Stored { obj: Obj; managed: Map<string, Set<string>> }
interface WatchEvent { rv: number; type: string; obj: Obj; resource: FakeResource }

class HttpStatus extends Error {
  constructor(readonly code: number, readonly reason: string, message: string, readonly causes?: { reason: string; message: string; field?: string }[]) {
    super(message);
  }
}

/** The fake server. */
export class FakeKubeApi {
  url = '';
  readonly tokens = new Set(['good-token']);
  /** `verb plural` pairs RBAC forbids (e.g. "patch deployments"). */
  readonly forbidden = new Set<string>();
  /** namespace → max pods (a ResourceQuota the cluster enforces). */
  readonly podQuota = new Map<string, number>();
  /** Every request seen: method, path, content type. */
  readonly requests: { method: string; path: string; contentType?: string; fieldManager?: string }[] = [];
  /** Pod logs by `namespace/name` (what GET .../pods/NAME/log answers; a fake kubelet fills it). */
  readonly podLogs = new Map<string, string>();
  /** Called for every change, as a watch would see it (the fake kubelet listens here). */
  readonly listeners = new Set<(type: string, obj: Obj) => void>();
  /** While true the API server is "down": every connection is reset, as while it restarts. */
  private down = false;
  /** Namespaces being deleted stay Terminating while this is true. */
  holdNamespaceTermination = false;
  private readonly store = new Map<string, Stored>();
  private readonly history: WatchEvent[] = [];
  private readonly watchers = new Set<{ res: ServerResponse; resource: FakeResource; namespace?: string; selector: string | null }>();
  private rv = 100;
  private server: Server | undefined;

  /** Listens on 127.0.0.1 on an ephemeral port. */
  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Takes the API server down (connections reset, watches cut) or brings it back. */
  setDown(down: boolean): void {
    this.down = down;
    if (down) for (const w of this.watchers) w.res.destroy();
  }

  /** Closes watches and the server. */
  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Writes a kubeconfig pointing at this server with a bearer token; returns its path. */
  writeKubeconfig(dir: string, token = 'good-token', file = 'kubeconfig'): string {
    const path = join(dir, file);
    writeFileSync(path, stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'fake',
      // client-node refuses plain http unless TLS verification is off; the fake serves http on loopback.
      clusters: [{ name: 'fake', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'capstan', user: { token } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'capstan' } }],
    }));
    return path;
  }

  private key(apiVersion: string, kind: string, ns: string | undefined, name: string): string {
    return `${apiVersion}|${kind}|${ns ?? ''}|${name}`;
  }

  /** An object, or undefined. */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Obj | undefined {
    const s = this.store.get(this.key(apiVersion, kind, namespace, name));
    return s ? structuredClone(s.obj) : undefined;
  }

  /** Every object of a kind. */
  list(kind: string): Obj[] {
    return [...this.store.values()].filter((s) => s.obj.kind === kind).map((s) => structuredClone(s.obj));
  }

  /** Every object, for "nothing leaked" checks. */
  all(): Obj[] {
    return [...this.store.values()].map((s) => structuredClone(s.obj));
  }

  /** Puts an object as another actor would (e.g. a Node from the kubelet). */
  put(obj: Obj): Obj {
    const r = this.resourceOf(obj);
    const k = this.key(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
    const prev = this.store.get(k);
    const o = structuredClone(obj);
    o.metadata.uid = prev?.obj.metadata.uid ?? o.metadata.uid ?? randomUUID();
    o.metadata.creationTimestamp ??= new Date().toISOString();
    o.metadata.resourceVersion = String(++this.rv);
    this.store.set(k, { obj: o, managed: prev?.managed ?? new Map() });
    this.emit(prev ? 'MODIFIED' : 'ADDED', o, r);
    return o;
  }

  /** Sets an object's status (what the kubelet or a controller would write). */
  setStatus(apiVersion: string, kind: string, namespace: string | undefined, name: string, status: unknown): void {
    const o = this.get(apiVersion, kind, namespace, name);
    if (!o) throw new Error(`no ${kind} ${namespace}/${name}`);
    this.put({ ...o, status });
  }

  private resourceOf(obj: Obj): FakeResource {
    const r = FAKE_RESOURCES.find((x) => apiVersionOf(x) === obj.apiVersion && x.kind === obj.kind);
    if (!r) throw new Error(`fake serves no ${obj.apiVersion} ${obj.kind}`);
    return r;
  }

  private emit(type: string, obj: Obj, resource: FakeResource): void {
    const ev = { rv: Number(obj.metadata.resourceVersion), type, obj: structuredClone(obj), resource };
    this.history.push(ev);
    if (this.history.length > 2000) this.history.shift();
    for (const w of this.watchers) this.send(w, ev);
    for (const l of this.listeners) l(type, structuredClone(obj));
  }

  private send(w: { res: ServerResponse; resource: FakeResource; namespace?: string; selector: string | null }, ev: WatchEvent): void {
    if (ev.resource !== w.resource || (w.namespace && ev.obj.metadata.namespace !== w.namespace) || !matchesSelector(ev.obj.metadata.labels, w.selector)) return;
    w.res.write(JSON.stringify({ type: ev.type, object: ev.obj }) + '\n');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.down) return void req.socket.destroy();
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ method: req.method ?? '', path: url.pathname, contentType: req.headers['content-type'], fieldManager: url.searchParams.get('fieldManager') ?? undefined });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    try {
      const auth = req.headers.authorization ?? '';
      if (!auth.startsWith('Bearer ') || !this.tokens.has(auth.slice(7))) throw new HttpStatus(401, 'Unauthorized', 'Unauthorized');
      if (url.pathname === '/version') return json(res, 200, { major: '1', minor: '31', gitVersion: 'v1.31.0-fake', gitCommit: 'x', gitTreeState: 'clean', buildDate: '2024-01-01T00:00:00Z', goVersion: 'go1.22', compiler: 'gc', platform: 'linux/amd64' });
      const p = parsePath(url.pathname);
      if (!p) throw new HttpStatus(404, 'NotFound', 'the server could not find the requested resource');
      if (p.discovery !== undefined || !p.resource) return this.discovery(res, p.discovery);
      const verb = req.method === 'GET' ? (url.searchParams.get('watch') === 'true' ? 'watch' : p.name ? 'get' : 'list') : ({ POST: 'create', PATCH: 'patch', PUT: 'update', DELETE: 'delete' } as Record<string, string>)[req.method ?? ''] ?? 'unknown';
      const r = p.resource;
      // Cluster-scoped items parse as namespace segments: /api/v1/namespaces/x is the Namespace x.
      const namespace = r.namespaced ? p.namespace : undefined;
      if (this.forbidden.has(`${verb} ${r.plural}`)) {
        const where = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
        throw new HttpStatus(403, 'Forbidden', `${r.plural}${r.group ? `.${r.group}` : ''}${p.name ? ` "${p.name}"` : ''} is forbidden: User "system:serviceaccount:capstan-system:capstan" cannot ${verb} resource "${r.plural}" in API group "${r.group}"${where}`);
      }
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Obj) : undefined;
      if (verb === 'watch') return this.watch(res, r, namespace, url);
      if (verb === 'list') return json(res, 200, this.listOf(r, namespace, url.searchParams.get('labelSelector')));
      if (verb === 'get' && p.sub === 'log' && r.kind === 'Pod') {
        this.mustGet(r, namespace, p.name!);
        const text = this.podLogs.get(`${namespace}/${p.name}`) ?? '';
        const limit = Number(url.searchParams.get('limitBytes') ?? '') || text.length;
        res.writeHead(200, { 'content-type': 'text/plain' });
        return void res.end(text.slice(Math.max(0, text.length - limit)));
      }
      if (verb === 'get') return json(res, 200, this.mustGet(r, namespace, p.name!).obj);
      if (verb === 'patch' && req.headers['content-type']?.startsWith('application/apply-patch')) {
        const mgr = url.searchParams.get('fieldManager');
        if (!mgr) throw new HttpStatus(400, 'BadRequest', 'PATCH with application/apply-patch+yaml requires fieldManager');
        return json(res, 200, this.apply(r, namespace, p.name!, body!, mgr, url.searchParams.get('force') === 'true'));
      }
      if (verb === 'create' && !p.name) return json(res, 201, this.create(r, namespace, body!, url.searchParams.get('fieldManager') ?? 'unknown', url.searchParams.get('dryRun') === 'All'));
      if (verb === 'update' && p.sub === 'scale' && r.kind === 'Deployment') return json(res, 200, this.scale(namespace!, p.name!, body!));
      if (verb === 'delete') return json(res, 200, this.delete(r, namespace, p.name!));
      throw new HttpStatus(405, 'MethodNotAllowed', `the fake does not implement ${req.method} ${url.pathname}`);
    } catch (err) {
      const s = err instanceof HttpStatus ? err : new HttpStatus(500, 'InternalError', String((err as Error).message));
      json(res, s.code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: s.message, reason: s.reason, ...(s.causes ? { details: { causes: s.causes } } : {}), code: s.code });
    }
  }

  private discovery(res: ServerResponse, gv: string | undefined): void {
    const resources = FAKE_RESOURCES.filter((r) => apiVersionOf(r) === gv);
    if (!resources.length) throw new HttpStatus(404, 'NotFound', 'the server could not find the requested resource');
    json(res, 200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources: resources.map((r) => ({ name: r.plural, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] })) });
  }

  private listOf(r: FakeResource, namespace: string | undefined, selector: string | null): Obj {
    const items = [...this.store.values()].map((s) => s.obj).filter((o) => o.kind === r.kind && o.apiVersion === apiVersionOf(r) && (!namespace || o.metadata.namespace === namespace) && matchesSelector(o.metadata.labels, selector));
    return { apiVersion: apiVersionOf(r), kind: `${r.kind}List`, metadata: { resourceVersion: String(this.rv) }, items: structuredClone(items) };
  }

  private mustGet(r: FakeResource, namespace: string | undefined, name: string): Stored {
    const s = this.store.get(this.key(apiVersionOf(r), r.kind, namespace, name));
    if (!s) throw new HttpStatus(404, 'NotFound', `${r.plural}${r.group ? `.${r.group}` : ''} "${name}" not found`);
    return s;
  }

  private watch(res: ServerResponse, resource: FakeResource, namespace: string | undefined, url: URL): void {
    const since = Number(url.searchParams.get('resourceVersion') ?? 0);
    if (since && this.history.length && since < this.history[0]!.rv - 1) throw new HttpStatus(410, 'Gone', `too old resource version: ${since} (${this.history[0]!.rv})`);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const w = { res, resource, namespace, selector: url.searchParams.get('labelSelector') };
    if (since) {
      for (const ev of this.history) if (ev.rv > since) this.send(w, ev);
    } else {
      for (const o of this.listOf(resource, namespace, w.selector).items as Obj[]) res.write(JSON.stringify({ type: 'ADDED', object: o }) + '\n');
    }
    this.watchers.add(w);
    res.on('close', () => this.watchers.delete(w));
  }

  private admitCreate(r: FakeResource, namespace: string | undefined, obj: Obj): void {
    if (r.namespaced) {
      const ns = this.store.get(this.key('v1', 'Namespace', undefined, namespace!));
      if (!ns) throw new HttpStatus(404, 'NotFound', `namespaces "${namespace}" not found`);
      if (ns.obj.metadata.deletionTimestamp) {
        throw new HttpStatus(403, 'Forbidden', `${r.plural} "${obj.metadata.name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }]);
      }
    }
    if (r.kind === 'Pod') {
      // As the ResourceQuota admission plugin: with a quota on requests.X in the namespace, every
      // container (init containers too) must declare requests.X.
      const hard = this.list('ResourceQuota').filter((q) => q.metadata.namespace === namespace).flatMap((q) => Object.keys(q.spec?.hard ?? {}));
      for (const key of hard.filter((k) => k === 'requests.cpu' || k === 'requests.memory')) {
        const res = key.slice('requests.'.length);
        const missing = [...(obj.spec?.initContainers ?? []), ...(obj.spec?.containers ?? [])].filter((c: { resources?: { requests?: Record<string, string> } }) => c.resources?.requests?.[res] === undefined).map((c: { name: string }) => c.name);
        if (missing.length) throw new HttpStatus(403, 'Forbidden', `pods "${obj.metadata.name}" is forbidden: failed quota: capstan-quota: must specify ${key} for: ${missing.join(',')}`);
      }
    }
    const max = r.kind === 'Pod' ? this.podQuota.get(namespace ?? '') : undefined;
    if (max !== undefined) {
      const used = this.list('Pod').filter((p) => p.metadata.namespace === namespace).length;
      if (used + 1 > max) throw new HttpStatus(403, 'Forbidden', `pods "${obj.metadata.name}" is forbidden: exceeded quota: capstan-quota, requested: pods=1, used: pods=${used}, limited: pods=${max}`);
    }
  }

  private validate(obj: Obj): void {
    try {
      assertValidManifest(obj);
    } catch (err) {
      throw new HttpStatus(422, 'Invalid', `${obj.kind} "${obj.metadata.name}" is invalid: ${(err as Error).message}`);
    }
    if (obj.kind === 'Deployment') {
      const sel = obj.spec?.selector?.matchLabels ?? {};
      const labels = obj.spec?.template?.metadata?.labels ?? {};
      if (!Object.entries(sel).every(([k, v]) => labels[k] === v)) throw new HttpStatus(422, 'Invalid', `Deployment.apps "${obj.metadata.name}" is invalid: spec.template.metadata.labels: Invalid value: selector does not match template labels`, [{ reason: 'FieldValueInvalid', message: 'selector does not match template labels', field: 'spec.template.metadata.labels' }]);
    }
  }

  private apply(r: FakeResource, namespace: string | undefined, name: string, cfg: Obj, manager: string, force: boolean): Obj {
    if (cfg.metadata?.name !== name) throw new HttpStatus(400, 'BadRequest', 'the name of the object does not match the name on the URL');
    const k = this.key(apiVersionOf(r), r.kind, namespace, name);
    const cur = this.store.get(k);
    const applied = structuredClone(cfg);
    delete applied.status;
    const paths = leafPaths(applied);
    for (const p of ['.metadata.name', '.metadata.namespace', '.apiVersion', '.kind']) paths.delete(p);
    if (!cur) {
      this.admitCreate(r, namespace, applied);
      const obj: Obj = { ...applied, metadata: { ...applied.metadata, namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString(), resourceVersion: String(++this.rv), generation: 1 } };
      if (!r.namespaced) delete obj.metadata.namespace;
      this.validate(obj);
      this.store.set(k, { obj, managed: new Map([[manager, new Set(paths.keys())]]) });
      this.emit('ADDED', obj, r);
      return obj;
    }
    const conflicts: string[] = [];
    const curLeaves = leafPaths(cur.obj);
    for (const [other, owned] of cur.managed) {
      if (other === manager) continue;
      for (const p of owned) if (paths.has(p) && JSON.stringify(paths.get(p)) !== JSON.stringify(curLeaves.get(p))) conflicts.push(`conflict with "${other}": ${p}`);
    }
    if (conflicts.length && !force) throw new HttpStatus(409, 'Conflict', `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${conflicts.join('; ')}`);
    let next = structuredClone(cur.obj);
    for (const p of cur.managed.get(manager) ?? []) if (!paths.has(p)) removePath(next, p);
    next = deepMerge(next, applied) as Obj;
    for (const [other, owned] of cur.managed) if (other !== manager) for (const p of paths.keys()) owned.delete(p);
    cur.managed.set(manager, new Set(paths.keys()));
    this.validate(next);
    if (JSON.stringify(next.spec) !== JSON.stringify(cur.obj.spec)) next.metadata.generation = (cur.obj.metadata.generation ?? 1) + 1;
    if (JSON.stringify(next) === JSON.stringify(cur.obj)) return structuredClone(cur.obj);
    next.metadata.resourceVersion = String(++this.rv);
    cur.obj = next;
    this.emit('MODIFIED', next, r);
    return structuredClone(next);
  }

  // POST: 409 AlreadyExists when present; with dryRun=All everything is checked and nothing stored.
  private create(r: FakeResource, namespace: string | undefined, body: Obj, manager: string, dryRun: boolean): Obj {
    const name = body?.metadata?.name;
    if (!name) throw new HttpStatus(422, 'Invalid', `${r.kind} is invalid: metadata.name: Required value`);
    const k = this.key(apiVersionOf(r), r.kind, namespace, name);
    if (this.store.has(k)) throw new HttpStatus(409, 'AlreadyExists', `${r.plural}${r.group ? `.${r.group}` : ''} "${name}" already exists`);
    const applied = structuredClone(body);
    delete applied.status;
    this.admitCreate(r, namespace, applied);
    const obj: Obj = { ...applied, metadata: { ...applied.metadata, namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString(), resourceVersion: String(this.rv + 1), generation: 1 } };
    if (!r.namespaced) delete obj.metadata.namespace;
    this.validate(obj);
    if (dryRun) return obj;
    ++this.rv;
    this.store.set(k, { obj, managed: new Map([[manager, new Set(leafPaths(applied).keys())]]) });
    this.emit('ADDED', obj, r);
    return structuredClone(obj);
  }

  private scale(namespace: string, name: string, body: Obj): Obj {
    const r = FAKE_RESOURCES.find((x) => x.kind === 'Deployment')!;
    const s = this.mustGet(r, namespace, name);
    const replicas = Number(body.spec?.replicas);
    if (!Number.isInteger(replicas) || replicas < 0) throw new HttpStatus(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: must be a non-negative integer`);
    s.obj = { ...s.obj, spec: { ...s.obj.spec, replicas }, metadata: { ...s.obj.metadata, resourceVersion: String(++this.rv) } };
    this.emit('MODIFIED', s.obj, r);
    return { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name, namespace }, spec: { replicas }, status: { replicas } };
  }

  private delete(r: FakeResource, namespace: string | undefined, name: string): Obj {
    const s = this.mustGet(r, namespace, name);
    if (r.kind === 'Namespace') {
      if (!s.obj.metadata.deletionTimestamp) this.put({ ...s.obj, metadata: { ...s.obj.metadata, deletionTimestamp: new Date().toISOString() }, status: { phase: 'Terminating' } });
      for (const o of this.all()) if (o.metadata.namespace === name) this.remove(o);
      if (!this.holdNamespaceTermination) this.remove(s.obj);
      return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
    }
    if (s.obj.metadata.finalizers?.length) {
      if (!s.obj.metadata.deletionTimestamp) this.put({ ...s.obj, metadata: { ...s.obj.metadata, deletionTimestamp: new Date().toISOString() } });
      return this.get(s.obj.apiVersion, s.obj.kind, namespace, name)!;
    }
    this.remove(s.obj);
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
  }

  /** Removes an object now and garbage-collects its dependents (ownerReferences by uid). */
  remove(o: Obj): void {
    const k = this.key(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name);
    const s = this.store.get(k);
    if (!s) return;
    this.store.delete(k);
    this.emit('DELETED', { ...s.obj, metadata: { ...s.obj.metadata, resourceVersion: String(++this.rv) } }, this.resourceOf(s.obj));
    // Background GC, as the cluster's: dependents with finalizers only start terminating.
    for (const d of this.all()) {
      if (!(d.metadata.ownerReferences ?? []).some((ref: { uid: string }) => ref.uid === s.obj.metadata.uid)) continue;
      if (d.metadata.finalizers?.length) {
        if (!d.metadata.deletionTimestamp) this.put({ ...d, metadata: { ...d.metadata, deletionTimestamp: new Date().toISOString() } });
      } else this.remove(d);
    }
  }

  /** Finishes a held namespace termination. */
  finishNamespace(name: string): void {
    const ns = this.get('v1', 'Namespace', undefined, name);
    if (ns) this.remove(ns);
  }
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
