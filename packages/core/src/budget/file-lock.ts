import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
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
  const mine = `${lockPath}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  let spins = 0;
  for (;;) {
    try {
      // Write the pid to a private file, then hard-link it into place: link() is atomic and fails if the lock
      // exists, so a lock file always names its holder (a process killed mid-acquire leaves no empty lock).
      writeFileSync(mine, String(process.pid));
      try {
        linkSync(mine, lockPath);
      } finally {
        unlinkSync(mine);
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
        // Re-read right before breaking it, so a lock just taken by a live process is not the one removed.
        try {
          if (Number(readFileSync(lockPath, 'utf8')) === holder) unlinkSync(lockPath);
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
