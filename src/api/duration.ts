/** Durations as people write them in flags, annotations and queries: `500ms`, `60s`, `2m`, `1h`, `30d` (a bare number is seconds). */

const SCALE: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds, or undefined when malformed. */
export function parseDurationMs(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) return undefined;
  return Number(m[1]) * (SCALE[m[2] ?? 's'] ?? 1000);
}
