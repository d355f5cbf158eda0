/** An object's status conditions as a table. */
import type { KubeObject } from '../api/client.js';
import type { Health } from '../state/health.js';
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
              <td><Badge health={conditionHealth(c.type, c.status)}>{c.status}</Badge></td>
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

/** Red only where False means broken (Ready, Available) or a Failed/Evicted condition holds; other Falses are steps not taken yet. */
function conditionHealth(type: string, status: string): Health {
  const bad = /^(Failed|Evicted|Degraded|Preempted)$/.test(type);
  if (status === 'True') return bad ? 'failing' : 'ok';
  if (status === 'False') return bad ? 'ok' : /^(Ready|Available)$/.test(type) ? 'failing' : 'unknown';
  return 'progressing';
}
