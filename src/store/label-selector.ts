/**
 * Kubernetes label selectors (`app=web,tier!=db,env in (a,b),!legacy,gpu`): parsed once,
 * matched many times. Pure.
 */

/** One requirement of a selector. */
export type Requirement =
  | { op: 'exists' | 'notexists'; key: string }
  | { op: 'in' | 'notin'; key: string; values: string[] };

/** A parsed selector: every requirement must hold. */
export type LabelSelector = Requirement[];

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Parses a selector string; throws an Error with a message naming the bad part. */
export function parseLabelSelector(text: string): LabelSelector {
  const reqs: LabelSelector = [];
  for (const part of splitTopLevel(text)) {
    const p = part.trim();
    if (!p) continue;
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^(\S+)\s+(in|notin)\s+\((.*)\)$/))) {
      const values = m[3].split(',').map((v) => v.trim()).filter(Boolean);
      reqs.push({ op: m[2] as 'in' | 'notin', key: checkKey(m[1]), values: values.map(checkValue) });
    } else if ((m = p.match(/^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/))) {
      reqs.push({ op: m[2] === '!=' ? 'notin' : 'in', key: checkKey(m[1]), values: [checkValue(m[3])] });
    } else if ((m = p.match(/^!\s*(\S+)$/))) {
      reqs.push({ op: 'notexists', key: checkKey(m[1]) });
    } else {
      reqs.push({ op: 'exists', key: checkKey(p) });
    }
  }
  return reqs;
}

/** True when the labels satisfy every requirement. */
export function matchesLabels(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  for (const r of selector) {
    const v = labels?.[r.key];
    switch (r.op) {
      case 'exists': if (v === undefined) return false; break;
      case 'notexists': if (v !== undefined) return false; break;
      case 'in': if (v === undefined || !r.values.includes(v)) return false; break;
      case 'notin': if (v !== undefined && r.values.includes(v)) return false; break;
    }
  }
  return true;
}

function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0) throw new Error(`unbalanced ")" in label selector "${text}"`);
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (depth !== 0) throw new Error(`unbalanced "(" in label selector "${text}"`);
  out.push(cur);
  return out;
}

function checkKey(k: string): string {
  if (k.length > 316 || !KEY.test(k)) throw new Error(`invalid label key "${k}"`);
  return k;
}

function checkValue(v: string): string {
  if (v.length > 63 || !VALUE.test(v)) throw new Error(`invalid label value "${v}"`);
  return v;
}
