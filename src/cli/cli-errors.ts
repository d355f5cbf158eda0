/** Prints errors the way kubectl does, from the server's Status. */
import { ApiError } from '../api/errors.js';

/** A one-or-more-line message for an error, naming the fields it concerns. */
export function formatCliError(err: unknown): string {
  if (err instanceof ApiError) {
    const causes = err.details?.causes ?? [];
    const extra = causes.length > 1 || (causes.length === 1 && !err.message.includes(causes[0].message))
      ? `\n${causes.map((c) => `  * ${c.field ? `${c.field}: ` : ''}${c.message}`).join('\n')}`
      : '';
    return `Error from server (${err.reason}): ${err.message}${extra}`;
  }
  return `error: ${(err as Error)?.message ?? String(err)}`;
}
