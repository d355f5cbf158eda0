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

const STATIC_EXT = /\.(js|mjs|css|map|html|json|png|jpe?g|svg|ico|webp|woff2?|txt)$/i;

/** What to send for a path below /ui/: a file, the app shell (client-side routes) or nothing. */
export type UiTarget = { file: string; immutable: boolean } | { shell: true } | { missing: true };

/**
 * Resolves `rest` (the path after /ui/, already URL-decoded) inside `root`. Paths that climb out
 * are "missing"; extension-less paths that name no file are the app's own routes (the shell).
 */
export function resolveUiPath(root: string, rest: string): UiTarget {
  // Any ".." is refused outright rather than normalized away: no legitimate URL has one.
  if (rest.split(/[/\\]/).includes('..') || rest.includes('\0')) return { missing: true };
  const clean = normalize(`/${rest}`).replace(/^[/\\]+/, '');
  const full = join(root, clean);
  if (!full.startsWith(root + sep) && full !== root) return { missing: true };
  if (clean && existsSync(full) && statSync(full).isFile()) return { file: clean, immutable: clean.startsWith('assets/') };
  // Object names have dots too (digits-v1.2.0), so only real asset paths and file types 404.
  if (clean.startsWith('assets/') || STATIC_EXT.test(clean)) return { missing: true };
  return { shell: true };
}
