/**
 * Bundlers resolve every literal `import()` / `require()` at build time. The optional Solana peers are absent from
 * a user's install, so the built packages must bundle for Node without them (esbuild here, as Vite and tsup use it;
 * Next.js with Turbopack in nextjs.test.ts).
 */
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPackages } from './helpers/build-packages.js';

const dist = (file: string) => fileURLToPath(new URL(`../packages/ai-sdk/dist/${file}`, import.meta.url));
const OPTIONAL = /^(@x402\/svm|@solana\/)/;

/** The optional peers as a user's install has them: not there. */
const notInstalled: Plugin = {
  name: 'optional-peers-not-installed',
  setup(b) {
    b.onResolve({ filter: OPTIONAL }, (args) => ({ errors: [{ text: `Could not resolve "${args.path}"` }] }));
  },
};

beforeAll(() => buildPackages(['core', 'fetch', 'ai-sdk']), 300_000);

describe('the built packages bundle without their optional peers', () => {
  it.each(['index.js', 'index.cjs'])('esbuild, Node target: ai-sdk/dist/%s', async (file) => {
    const result = await build({
      entryPoints: [dist(file)],
      bundle: true,
      platform: 'node',
      format: file.endsWith('.cjs') ? 'cjs' : 'esm',
      write: false,
      logLevel: 'silent',
      metafile: true,
      plugins: [notInstalled],
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.includes('packages/core/dist/'))).toBe(true);
    expect(inputs.filter((p) => /node_modules\/(@x402\/svm|@solana\/)/.test(p))).toEqual([]);
  });
});
