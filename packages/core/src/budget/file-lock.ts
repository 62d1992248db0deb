import { linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { StoreError } from '../errors.js';

/** Whether a process of this machine is running (EPERM: it is, under another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Operations under the lock are short and synchronous: a lock older than this is abandoned, whoever it names. */
const LEASE_MS = 10_000;

/** Why a lock file may be broken: its holder is dead, or its lease ran out (pid reused, pid 1, garbage). */
function stale(content: string, path: string): boolean {
  const [pid, at] = content.trim().split(' ').map(Number);
  if (Number.isInteger(pid) && pid! > 0 && pid !== process.pid && !alive(pid!)) return true;
  const since = Number.isFinite(at) && at! > 0 ? at! : statSync(path, { throwIfNoEntry: false })?.mtimeMs;
  return since === undefined || Date.now() - since > LEASE_MS;
}

/**
 * A lock file shared by processes on one machine, holding `pid timestamp`. A lock left by a dead
 * process (SIGKILL) is broken at once; any other lock past its lease (a reused pid, garbage) after 10 s.
 */
export async function withFileLock<T>(lockPath: string, fn: () => T, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const mine = `${lockPath}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  let spins = 0;
  for (;;) {
    try {
      // Write the holder to a private file, then hard-link it into place: link() is atomic and fails if the lock
      // exists, so a lock file always names its holder (a process killed mid-acquire leaves no empty lock).
      writeFileSync(mine, `${process.pid} ${Date.now()}`);
      try {
        linkSync(mine, lockPath);
      } finally {
        unlinkSync(mine);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new StoreError('Cannot create the budget lock file', { cause: error });
      let content: string;
      try {
        content = readFileSync(lockPath, 'utf8');
      } catch {
        continue; // released between our link and read
      }
      if (stale(content, lockPath)) {
        // Re-read right before breaking it, so a lock just taken by a live process is not the one removed.
        try {
          if (readFileSync(lockPath, 'utf8') === content) unlinkSync(lockPath);
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
