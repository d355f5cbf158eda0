/** Tenancy: a Project's detail page shows who can do what there (the access review); Users and Groups get their columns. */
import { useEffect, useState } from 'react';
import { apiJson, errorText, type KubeObject } from '../api/client.js';
import { ErrorBox } from '../ui/common.js';
import { KIND_VIEWS } from './kind-views.js';

interface Review {
  members: Array<{ user?: string; group?: string; members?: string[]; role: string; grants: string[] }>;
  clusterWide: Array<{ user?: string; group?: string; clusterRole: string }>;
  serviceAccounts: Array<{ serviceAccount: string; role: string; tokenId: string; expiresAt?: string }>;
}

function AccessReview({ object }: { object: KubeObject }) {
  const [review, setReview] = useState<Review | { error: string }>();
  useEffect(() => {
    const ac = new AbortController();
    apiJson<Review>(`/auth/access-review?project=${encodeURIComponent(object.metadata.name)}`, { signal: ac.signal })
      .then(setReview)
      .catch((err) => !ac.signal.aborted && setReview({ error: errorText(err) }));
    return () => ac.abort();
  }, [object.metadata.name, object.metadata.resourceVersion]);
  if (!review) return <p className="muted" role="status">Loading who can do what…</p>;
  if ('error' in review) return <ErrorBox error={review.error} title="Access review" />;
  const rows = [
    ...review.members.map((m) => ({ subject: m.user ? `user ${m.user}` : `group ${m.group} (${(m.members ?? []).join(', ') || 'no members'})`, role: m.role, grants: m.grants.join(', ') })),
    ...review.clusterWide.map((c) => ({ subject: c.user ? `user ${c.user}` : `group ${c.group}`, role: c.clusterRole, grants: c.clusterRole === 'cluster-admin' ? 'everything' : 'read everything, infer' })),
    ...review.serviceAccounts.map((s) => ({ subject: `${s.serviceAccount}`, role: s.role, grants: `token ${s.tokenId}${s.expiresAt ? `, expires ${s.expiresAt}` : ''}` })),
  ];
  return (
    <section aria-label="Access">
      <h2>Who can do what here</h2>
      <table className="table">
        <thead><tr><th>Subject</th><th>Role</th><th>Grants</th></tr></thead>
        <tbody>{rows.map((r) => <tr key={`${r.subject}/${r.role}`}><td>{r.subject}</td><td>{r.role}</td><td>{r.grants}</td></tr>)}</tbody>
      </table>
    </section>
  );
}

KIND_VIEWS.Project = {
  ...KIND_VIEWS.Project,
  Summary: ({ object }) => <AccessReview object={object} />,
  columns: [{ header: 'Members', value: (o) => String(((o.spec as { members?: unknown[] }).members ?? []).length) }],
};

KIND_VIEWS.User = {
  columns: [
    { header: 'Cluster role', value: (o) => String((o.spec as { clusterRole?: string }).clusterRole ?? '') },
    { header: 'Disabled', value: (o) => ((o.spec as { disabled?: boolean }).disabled ? 'yes' : '') },
  ],
};
