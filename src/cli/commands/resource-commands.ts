/** `capstan apply`, `get`, `describe` and `delete`: kubectl's verbs over the HTTP API. */
import { stringify } from 'yaml';
import { ApiError } from '../../api/errors.js';
import type { KindRegistry } from '../../api/kind-registry.js';
import { EventKind } from '../../api/kinds/event.js';
import type { Condition, KubeObject } from '../../api/meta.js';
import type { HttpClient } from '../../client/http-client.js';
import type { CliContext } from '../cli-config.js';
import { formatCliError } from '../cli-errors.js';
import { parseKindArgs } from '../kind-arg.js';
import { readManifests } from '../manifests.js';
import { age, formatTable, objectsTable, serialize } from '../output.js';

/** What every resource command gets. */
export interface CommandEnv {
  client: HttpClient;
  kinds: KindRegistry;
  ctx: CliContext;
  out: (s: string) => void;
}

/** Applies every document of every file; returns false if any failed (all are attempted). */
export async function applyCommand(env: CommandEnv, files: string[]): Promise<boolean> {
  let ok = true;
  for (const file of files) {
    for (const doc of readManifests(file)) {
      const label = `${doc.source}#${doc.index + 1}`;
      try {
        const { kind } = env.kinds.forManifest(doc.object.apiVersion, doc.object.kind);
        const meta = (doc.object.metadata ?? {}) as { namespace?: string; name?: string };
        const obj = kind.namespaced ? { ...doc.object, metadata: { ...meta, namespace: meta.namespace ?? env.ctx.project } } : doc.object;
        if (!meta.name) throw new ApiError('Invalid', 'metadata.name is required', { causes: [{ field: 'metadata.name', message: 'required' }] });
        const { object, action } = await env.client.apply(kind, obj);
        env.out(`${kind.singular}/${object.metadata.name} ${action}`);
      } catch (err) {
        ok = false;
        env.out(`error: ${label}: ${formatCliError(err).replace(/^Error from server /, '')}`);
      }
    }
  }
  return ok;
}

/** Options of `get`. */
export interface GetOptions {
  output?: string;
  watch?: boolean;
  selector?: string;
  allProjects?: boolean;
}

/** Lists or gets objects; with watch, prints changes until interrupted. */
export async function getCommand(env: CommandEnv, args: string[], opts: GetOptions): Promise<void> {
  const { kind, names } = parseKindArgs(env.kinds, args);
  const format = opts.output ?? 'table';
  if (!['table', 'wide', 'yaml', 'json', 'name'].includes(format)) throw new Error(`unknown output format "${format}": use wide, yaml, json or name`);
  const namespace = kind.namespaced && !opts.allProjects ? env.ctx.project : undefined;
  let items: KubeObject[];
  if (names.length) items = await Promise.all(names.map((n) => env.client.get(kind, namespace, n)));
  else {
    items = [];
    let cont: string | undefined;
    do {
      const page = await env.client.list(kind, { namespace, labelSelector: opts.selector, limit: 500, continue: cont });
      items.push(...page.items);
      cont = page.continue;
    } while (cont);
  }
  const print = (list: KubeObject[], header = true) => {
    if (format === 'yaml' || format === 'json') {
      const value = names.length === 1 && !opts.watch ? list[0] : { apiVersion: 'v1', kind: 'List', items: list };
      env.out(serialize(value, format));
    } else if (format === 'name') {
      for (const o of list) env.out(`${kind.singular}/${o.metadata.name}`);
    } else {
      const table = objectsTable(kind, list, { wide: format === 'wide', allProjects: opts.allProjects });
      env.out(header ? table : table.split('\n').slice(1).join('\n'));
    }
  };
  if (!opts.watch) {
    if (items.length === 0 && format !== 'json' && format !== 'yaml') {
      env.out(namespace ? `No resources found in project ${namespace}.` : 'No resources found.');
      return;
    }
    print(items);
    return;
  }
  if (items.length) print(items);
  const rv = (await env.client.list(kind, { namespace, limit: 1 })).resourceVersion;
  await new Promise<void>((resolve, reject) => {
    env.client
      .watch(kind, { namespace, labelSelector: opts.selector, resourceVersion: rv, name: names[0] }, (ev) => print([ev.object], false), reject)
      .then((stop) => {
        process.once('SIGINT', () => {
          stop();
          resolve();
        });
      }, reject);
  });
}

/** Shows an object: metadata, spec, status with conditions as a table, and its recent events. */
export async function describeCommand(env: CommandEnv, args: string[]): Promise<void> {
  const { kind, names } = parseKindArgs(env.kinds, args);
  if (names.length === 0) throw new Error(`describe needs a name: capstan describe ${kind.singular} NAME`);
  const namespace = kind.namespaced ? env.ctx.project : undefined;
  for (const name of names) {
    const o = await env.client.get(kind, namespace, name);
    const lines: string[] = [];
    lines.push(`Name:          ${o.metadata.name}`);
    if (o.metadata.namespace) lines.push(`Project:       ${o.metadata.namespace}`);
    lines.push(`Kind:          ${o.kind} (${o.apiVersion})`);
    lines.push(`Labels:        ${fmtMap(o.metadata.labels)}`);
    lines.push(`Annotations:   ${fmtMap(o.metadata.annotations)}`);
    lines.push(`Created:       ${o.metadata.creationTimestamp} (${age(o.metadata.creationTimestamp)} ago)`);
    if (o.metadata.deletionTimestamp) lines.push(`Deleting:      since ${o.metadata.deletionTimestamp}, waiting for finalizers ${(o.metadata.finalizers ?? []).join(', ')}`);
    lines.push(`Generation:    ${o.metadata.generation}   ResourceVersion: ${o.metadata.resourceVersion}   UID: ${o.metadata.uid}`);
    const { metadata: _m, apiVersion: _a, kind: _k, status, ...body } = o;
    if (Object.keys(body).length) lines.push('', indentYaml(body));
    const st = (status ?? {}) as { conditions?: Condition[] } & Record<string, unknown>;
    const { conditions, ...restStatus } = st;
    if (Object.keys(restStatus).length) lines.push('', 'Status:', indentYaml(restStatus, '  '));
    if (conditions?.length) {
      lines.push('', 'Conditions:');
      lines.push(indent(formatTable(['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'], conditions.map((c) => [c.type, c.status, c.reason ?? '', age(c.lastTransitionTime), c.message ?? ''])), '  '));
    }
    const evNs = o.metadata.namespace ?? 'default';
    const events = (await env.client.list(EventKind, { namespace: evNs })).items.filter(
      (e) => (e.involvedObject as { uid?: string }).uid === o.metadata.uid,
    );
    events.sort((a, b) => String(a.lastTimestamp).localeCompare(String(b.lastTimestamp)));
    lines.push('', 'Events:');
    if (!events.length) lines.push('  <none>');
    else lines.push(indent(formatTable(['TYPE', 'REASON', 'AGE', 'COUNT', 'MESSAGE'], events.slice(-20).map((e) => [String(e.type), String(e.reason), age(e.lastTimestamp as string), String(e.count ?? 1), String(e.message)])), '  '));
    env.out(lines.join('\n'));
  }
}

/** Deletes by kind and names, or every object in files. */
export async function deleteCommand(env: CommandEnv, args: string[], opts: { filename?: string[] }): Promise<boolean> {
  const targets: Array<{ kindName: string; namespace?: string; name: string }> = [];
  if (opts.filename?.length) {
    for (const f of opts.filename) {
      for (const doc of readManifests(f)) {
        const { kind } = env.kinds.forManifest(doc.object.apiVersion, doc.object.kind);
        const meta = (doc.object.metadata ?? {}) as { namespace?: string; name?: string };
        if (meta.name) targets.push({ kindName: kind.plural, namespace: meta.namespace, name: meta.name });
      }
    }
  } else {
    const { kind, names } = parseKindArgs(env.kinds, args);
    if (!names.length) throw new Error(`delete needs a name: capstan delete ${kind.singular} NAME`);
    for (const n of names) targets.push({ kindName: kind.plural, name: n });
  }
  let ok = true;
  for (const t of targets) {
    const kind = env.kinds.find(t.kindName)!;
    try {
      const res = await env.client.delete(kind, kind.namespaced ? (t.namespace ?? env.ctx.project) : undefined, t.name);
      env.out(`${kind.singular}/${t.name} ${res.metadata.deletionTimestamp && res.metadata.finalizers?.length ? 'deleting (waiting for finalizers)' : 'deleted'}`);
    } catch (err) {
      ok = false;
      env.out(err instanceof ApiError ? `Error from server (${err.reason}): ${err.message}` : String(err));
    }
  }
  return ok;
}

function fmtMap(m: Record<string, string> | undefined): string {
  if (!m || !Object.keys(m).length) return '<none>';
  return Object.entries(m).map(([k, v]) => `${k}=${v}`).join('\n               ');
}

function indent(s: string, pad: string): string {
  return s.split('\n').map((l) => pad + l).join('\n');
}

function indentYaml(v: unknown, pad = ''): string {
  return indent(stringify(v, { lineWidth: 0 }).trimEnd(), pad);
}
