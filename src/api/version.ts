/** Capstan's version, read once from package.json. */
import { readFileSync } from 'node:fs';

/** The version string of this build. */
export const CAPSTAN_VERSION: string = (() => {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // try the next layout (src/ via tsx, or dist/src/ compiled)
    }
  }
  return '0.0.0';
})();
