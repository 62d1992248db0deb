import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./build-packages.mjs', import.meta.url));

function hasFlock(): boolean {
  try {
    execFileSync('flock', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the named packages (all without names) unless their dist/ is newer than their sources. Test files run
 * in parallel: `flock` lets one build at a time, and the next one finds dist/ fresh and leaves it alone.
 */
export function buildPackages(names: string[] = []): void {
  const command = [process.execPath, script, ...names];
  const lockDir = join(root, 'node_modules', '.cache');
  mkdirSync(lockDir, { recursive: true });
  const [file, ...args] = hasFlock() ? ['flock', join(lockDir, 'venice-x402-build.lock'), ...command] : command;
  execFileSync(file!, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}
