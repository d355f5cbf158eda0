/** An object's status conditions as a table. */
import type { KubeObject } from '../api/client.js';
import { age, conditionsOf } from '../state/health.js';
import { Badge, useNow } from './common.js';

/** The conditions, or a sentence when there are none yet. */
export function ConditionsTable({ object }: { object: KubeObject }) {
  const now = useNow();
  const conds = conditionsOf(object);
  if (!conds.length) return <p className="muted">No conditions reported yet{object.status ? '' : ': no controller has written a status'}.</p>;
  return (
    <div className="table-wrap">
      <table>
        <thead><tr><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">Since</th></tr></thead>
        <tbody>
          {conds.map((c) => (
            <tr key={c.type}>
              <td>{c.type}</td>
              <td><Badge health={c.status === 'True' ? (c.type === 'Failed' ? 'failing' : 'ok') : c.status === 'False' ? (c.type === 'Failed' ? 'ok' : 'failing') : 'progressing'}>{c.status}</Badge></td>
              <td>{c.reason ?? ''}</td>
              <td className="msg">{c.message ?? ''}</td>
              <td>{age(c.lastTransitionTime, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
