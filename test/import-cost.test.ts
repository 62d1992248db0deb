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

/**
 * The AI SDK loads zod as ESM; importing the provider must not load it a second time through core's `require`
 * (the default `venice` instance used to build its budget, and so the policy schema, at import).
 */
it('importing @venice-x402/ai-sdk does not load zod through core (no budget is made at import)', () => {
  const child = `
    import { createRequire } from 'node:module';
    const { venice } = await import('@venice-x402/ai-sdk');
    const required = () => Object.keys(createRequire(import.meta.url).cache).filter((p) => /[\\\\/]node_modules[\\\\/]zod[\\\\/]/.test(p)).length;
    const atImport = required();
    await venice.budget.report(); // made on first use, then the schema loads
    console.log(JSON.stringify({ atImport, afterUse: required() > 0 }));
  `;
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=venice-x402-source', '--input-type=module', '-e', child],
    { cwd: fileURLToPath(new URL('.', import.meta.url)), timeout: 20_000, encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ atImport: 0, afterUse: true });
});
