/**
 * Every request under /apis/ is authorized from its path and method, before any handler runs,
 * so routes that capabilities add (uploads, logs, proxies, alias moves) pass the same authorizer
 * as the generic resource routes without each remembering to ask. Pure.
 */
import type { Action } from './auth.js';

const VERBS: Record<string, Action['verb']> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** The action a request performs, or undefined for paths outside the resource tree (discovery). */
export function actionForRequest(method: string, path: string, watch: boolean): Action | undefined {
  const parts = path.split('/').filter(Boolean);
  if (parts[0] !== 'apis' || parts.length < 4) return undefined;
  const group = parts[1];
  let rest = parts.slice(3);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, ...sub] = rest;
  if (!plural) return undefined;
  const verb: Action['verb'] = method === 'GET' || method === 'HEAD' ? (name === undefined ? (watch ? 'watch' : 'list') : 'get') : (VERBS[method] ?? 'get');
  return { verb, resource: `${group}/${plural}`, namespace, name, ...(sub.length ? { subresource: sub.join('/') } : {}) };
}
