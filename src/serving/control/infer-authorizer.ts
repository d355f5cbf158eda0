/** The gateway's data-plane check, built from the platform's authenticator and authorizer: a token whose subject may `infer` on the service's project (401 without one, 403 with the wrong one). */
import { InferenceServiceKind } from '../../api/kinds/inference-service.js';
import type { AuthResult } from '../../server/auth.js';
import type { RoleAuthorizer } from '../../server/role-authorizer.js';
import type { InferAuthorizer } from '../gateway/index.js';

/** Builds the gateway's `authorize` option. */
export function inferAuthorizer(authenticate: (authorization: string | undefined) => Promise<AuthResult | undefined>, authorizer: Pick<RoleAuthorizer, 'decide'>): InferAuthorizer {
  return async (authorization, project, service) => {
    if (!authorization) return { ok: false, code: 401, message: `service "${service}" is private: send Authorization: Bearer <token> with infer in project ${project} (or set spec.public: true)` };
    const r = await authenticate(authorization);
    if (!r) return { ok: false, code: 401, message: 'the bearer token is not valid' };
    if ('error' in r) return { ok: false, code: 401, message: r.error };
    const d = authorizer.decide(r.subject, { verb: 'create', resource: InferenceServiceKind.resource, namespace: project, name: service, subresource: 'infer' });
    return d.allowed ? { ok: true } : { ok: false, code: 403, message: `infer on service "${service}" is forbidden: ${d.reason}` };
  };
}
