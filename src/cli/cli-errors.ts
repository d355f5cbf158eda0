/** Prints errors the way kubectl does, from the server's Status. */
import { ApiError } from '../api/errors.js';

/** A one-or-more-line message for an error, naming the fields it concerns. */
export function formatCliError(err: unknown): string {
  if (err instanceof ApiError) {
    const causes = err.details?.causes ?? [];
    // Name the fields unless the message already does.
    const extra = causes.some((c) => c.field && !err.message.includes(c.field))
      ? `\n${causes.map((c) => `  * ${c.field ? `${c.field}: ` : ''}${c.message}`).join('\n')}`
      : '';
    return `Error from server (${err.reason}): ${err.message}${extra}`;
  }
  return `error: ${(err as Error)?.message ?? String(err)}`;
}
