/** Where the built dashboard lives and how a /ui/ path maps to one of its files. */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory vite builds the dashboard into (dist/web), found from this file in src/ or dist/src/. */
export function dashboardDir(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return join(dirname(from), 'web');
    dir = up;
  }
  return join(dir, 'dist', 'web');
}

/** What to send for a path below /ui/: a file, the app shell (client-side routes) or nothing. */
export type UiTarget = { file: string; immutable: boolean } | { shell: true } | { missing: true };

/**
 * Resolves `rest` (the path after /ui/, already URL-decoded) inside `root`. Paths that climb out
 * are "missing"; extension-less paths that name no file are the app's own routes (the shell).
 */
export function resolveUiPath(root: string, rest: string): UiTarget {
  const clean = normalize(`/${rest}`).replace(/^[/\\]+/, '');
  if (clean.split(/[/\\]/).includes('..') || rest.includes('\0')) return { missing: true };
  const full = join(root, clean);
  if (!full.startsWith(root + sep) && full !== root) return { missing: true };
  if (clean && existsSync(full) && statSync(full).isFile()) return { file: clean, immutable: clean.startsWith('assets/') };
  const last = clean.split('/').pop() ?? '';
  if (/\.[a-z0-9]{1,8}$/i.test(last)) return { missing: true };
  return { shell: true };
}
