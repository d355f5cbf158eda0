/** Reading a process's log file: the last lines, and following it as it grows. */
import { promises as fsp } from 'node:fs';

/** The last `n` lines of a file (reads at most the last 256 KiB); empty when the file does not exist. */
export async function tailLines(file: string, n: number): Promise<string[]> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-n);
  } finally {
    await fh.close();
  }
}

/**
 * Calls `onData` with what is appended to `file` from byte `from` on, polling every `intervalMs`, until the signal
 * aborts. Polling (not fs.watch) because it behaves the same on every filesystem.
 */
export async function followFile(file: string, from: number, onData: (chunk: Buffer) => void, signal: AbortSignal, intervalMs = 250): Promise<void> {
  let pos = from;
  while (!signal.aborted) {
    try {
      const { size } = await fsp.stat(file);
      if (size < pos) pos = 0; // truncated or replaced
      if (size > pos) {
        const fh = await fsp.open(file, 'r');
        try {
          const buf = Buffer.alloc(Math.min(size - pos, 1024 * 1024));
          const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
          pos += bytesRead;
          if (bytesRead > 0) onData(buf.subarray(0, bytesRead));
        } finally {
          await fh.close();
        }
        continue;
      }
    } catch {
      // not created yet: keep waiting
    }
    await new Promise<void>((r) => {
      const t = setTimeout(r, intervalMs);
      signal.addEventListener('abort', () => { clearTimeout(t); r(); }, { once: true });
    });
  }
}

/** Size of a file, 0 when absent. */
export async function fileSize(file: string): Promise<number> {
  try {
    return (await fsp.stat(file)).size;
  } catch {
    return 0;
  }
}
