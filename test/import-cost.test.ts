import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

/**
 * What a fresh process loads to import the paid fetch (cold start cost, without timing it): not Node's fetch
 * implementation (undici, read through the global `Response`), nor viem or zod, which load with the first call.
 */
it('importing @venice-x402/fetch loads neither undici nor viem nor zod', () => {
  const child = `
    import { createRequire } from 'node:module';
    await import('@venice-x402/fetch');
    const cjs = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify({
      undici: process.moduleLoadList.filter((m) => m.includes('undici')),
      packages: cjs.filter((p) => /[\\\\/]node_modules[\\\\/](viem|zod)[\\\\/]/.test(p)).length,
    }));
  `;
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=venice-x402-source', '--input-type=module', '-e', child],
    { cwd: fileURLToPath(new URL('.', import.meta.url)), timeout: 20_000, encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ undici: [], packages: 0 });
});
