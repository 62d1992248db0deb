/**
 * What a library user installs stays light (issue 26, item 9): an app of either adapter resolves ONE zod, and core
 * does not bring the x402 packages (whose zod 3 sat beside the AI SDK's and LangChain's zod 4). Cheap checks on the
 * workspace's resolved graph and core's built files; the npm-installed tree is counted in packed-install.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { buildPackages } from '../helpers/build-packages.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const LIBRARIES = ['core', 'fetch', 'ai-sdk', 'langchain'];

type ListedDependency = { version: string; dependencies?: Record<string, ListedDependency> };

/** Every version of `name` in a package's runtime closure (dependencies and their resolved peers, no dev ones). */
function versionsInClosure(pkg: string, name: string): Map<string, string[]> {
  const listed = JSON.parse(
    execFileSync('pnpm', ['list', '--prod', '--depth', 'Infinity', '--json', '--filter', pkg], {
      cwd: root,
      encoding: 'utf8',
    }),
  ) as { name: string; dependencies?: Record<string, ListedDependency> }[];
  const found = new Map<string, string[]>();
  const walk = (deps: Record<string, ListedDependency> | undefined, path: string[]) => {
    for (const [dep, entry] of Object.entries(deps ?? {})) {
      if (dep === name) found.set(entry.version, [...(found.get(entry.version) ?? []), path.join(' > ')]);
      walk(entry.dependencies, [...path, dep]);
    }
  };
  for (const project of listed) walk(project.dependencies, [project.name]);
  return found;
}

it.each(LIBRARIES)('@venice-x402/%s resolves one zod in its runtime dependencies', (name) => {
  const zods = versionsInClosure(`@venice-x402/${name}`, 'zod');
  expect([...zods.keys()], JSON.stringify(Object.fromEntries(zods))).toHaveLength(1);
});

it('no library depends on the x402 packages or pins zod to one major: the app picks the zod', () => {
  for (const name of LIBRARIES) {
    const manifest = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
    const runtime = { ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies };
    expect(runtime['@x402/core'], name).toBeUndefined();
    expect(runtime['@x402/evm'], name).toBeUndefined();
    // The AI SDK's own peer range: zod 3.25 (which ships zod/v4, the API used here) or zod 4.
    if (runtime.zod) expect(runtime.zod, name).toBe('^3.25.76 || ^4.1.8');
  }
  // LangChain code here has no schema of its own: it does not install a zod.
  expect(JSON.parse(readFileSync(join(root, 'packages/langchain/package.json'), 'utf8')).dependencies.zod).toBe(
    undefined,
  );
});

it("core's published code bundles the x402 EVM client and loads zod only as zod/v4", () => {
  buildPackages(['core']);
  const dist = join(root, 'packages/core/dist');
  const specifiers = new Set<string>();
  for (const file of readdirSync(dist).filter((f) => /\.(c?js)$/.test(f))) {
    const text = readFileSync(join(dist, file), 'utf8');
    // Any quoted module name: import, require and the optional-peer loader alike.
    for (const m of text.matchAll(/["'](@x402\/[^"']*|zod(?:\/[^"']*)?)["']/g)) specifiers.add(m[1]!);
  }
  // @x402/svm stays an optional peer (Solana payments), loaded only by a Solana payment.
  expect([...specifiers].sort()).toEqual(['@x402/svm/exact/client', 'zod/v4']);
});
