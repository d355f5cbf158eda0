/**
 * Rewrites the model's name back to the service's name in the head of a JSON response, without parsing it:
 * OIP puts `model_name` (infer) or `name` (metadata) first, so scanning the first few KiB is enough and cheap.
 */

/** How many leading response bytes are scanned for the name. */
export const REWRITE_HEAD_BYTES = 4096;

/** Replaces the first `"field": "<from>"` for each field in `head` with `"field":"<to>"`; returns `head` itself when nothing matched. */
export function rewriteModelNameInHead(head: Buffer, from: string, to: string, fields: readonly string[]): Buffer {
  // latin1 maps bytes 1:1 to chars, so a chunk cut mid-UTF-8 sequence survives the round trip intact.
  const text = head.toString('latin1');
  const fromJson = latin1(JSON.stringify(from));
  let out = text;
  for (const field of fields) {
    const re = new RegExp(`"${field}"\\s*:\\s*${escapeRegExp(fromJson)}`);
    out = out.replace(re, `"${field}":${latin1(JSON.stringify(to))}`);
  }
  return out === text ? head : Buffer.from(out, 'latin1');
}

function latin1(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
