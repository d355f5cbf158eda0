import { promises as fsp } from 'node:fs';
import path from 'node:path';

/**
 * fsyncs `dir` (which just got a new entry, e.g. by rename) and, when `madeDir` is the first
 * directory that `mkdir -p` created on the way to it, every directory from `dir` up to the parent
 * of `madeDir`: each created directory is itself a new entry in its parent. Without this a power
 * cut can lose a renamed file even though its bytes were fsynced.
 */
export async function syncDirectories(dir: string, madeDir: string | undefined): Promise<void> {
  const dirs = [dir];
  if (madeDir !== undefined) {
    for (let d = dir; d !== madeDir && d !== path.dirname(d); ) {
      d = path.dirname(d);
      dirs.push(d);
    }
    dirs.push(path.dirname(madeDir));
  }
  for (const d of dirs) {
    const h = await fsp.open(d, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  }
}
