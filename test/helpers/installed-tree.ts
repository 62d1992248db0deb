/** An npm package-lock (lockfileVersion 3): its `packages` map from install path to what is installed there. */
export type NpmLock = { packages: Record<string, { version?: string; link?: boolean }> };

/** Every installed copy of a package in an npm tree: where it is and which version. */
export function installedCopies(lock: NpmLock, name: string): { path: string; version: string }[] {
  const suffix = `node_modules/${name}`;
  return Object.entries(lock.packages)
    .filter(([path]) => path === suffix || path.endsWith(`/${suffix}`))
    .map(([path, entry]) => ({ path, version: entry.version ?? '?' }));
}

/** The zod copies an install holds (one is the goal: two zods are two schema runtimes and twice the bytes). */
export const zodCopies = (lock: NpmLock) => installedCopies(lock, 'zod');
