import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { StoreError } from '../errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A lock file (`O_EXCL` create) shared by processes on one machine. A lock left by a dead process
 * (SIGKILL) is detected by its pid and broken.
 */
export async function withFileLock<T>(lockPath: string, fn: () => T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let spins = 0;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx');
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new StoreError('Cannot create the budget lock file', { cause: error });
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(lockPath, 'utf8'));
      } catch {
        continue; // released between our open and read
      }
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && !alive(holder)) {
        try {
          unlinkSync(lockPath);
        } catch {}
        continue;
      }
      if (Date.now() > deadline)
        throw new StoreError('Timed out waiting for the budget file lock', { retryable: true });
      spins++;
      await new Promise((r) => (spins < 20 ? setImmediate(r) : setTimeout(r, Math.min(5, spins / 20))));
    }
  }
  try {
    return fn();
  } finally {
    try {
      unlinkSync(lockPath);
    } catch {}
  }
}
