/** Turns zod issues into Status causes whose `field` is a kubectl-style path (`spec.replicas[0].name`). */
import type { z } from 'zod';
import type { StatusCause } from './errors.js';

/** Formats a path like Kubernetes does: dots between keys, brackets for indices. */
export function formatPath(base: string, path: ReadonlyArray<PropertyKey>): string {
  let out = base;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** Causes for every zod issue; unknown keys get one cause each, named by their full path. */
export function issuesToCauses(issues: ReadonlyArray<z.core.$ZodIssue>, base = ''): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        causes.push({ reason: 'FieldValueUnknown', field: formatPath(base, [...issue.path, key]), message: 'unknown field' });
      }
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch that got furthest; a flat "invalid input" names nothing useful.
      const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
      causes.push(...issuesToCauses(best, formatPath(base, issue.path)));
    } else {
      const reason = issue.code === 'invalid_type' && issue.input === undefined ? 'FieldValueRequired' : 'FieldValueInvalid';
      causes.push({ reason, field: formatPath(base, issue.path), message: issue.input === undefined && issue.code === 'invalid_type' ? 'required' : issue.message });
    }
  }
  return causes;
}
