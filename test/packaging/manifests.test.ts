/** What the published manifests promise: installable everywhere, frameworks as peers, one import line enough. */
import { readFileSync } from 'node:fs';
import * as aiSdk from '@venice-x402/ai-sdk';
import * as langchain from '@venice-x402/langchain';
import { expect, it } from 'vitest';

const manifest = (pkg: string) =>
  JSON.parse(readFileSync(new URL(`../../packages/${pkg}/package.json`, import.meta.url), 'utf8'));

it('the anvil binary (linux-x64 only) is optional, so the simulator and CLI install on every platform', () => {
  const sim = manifest('simulator');
  expect(sim.dependencies['@foundry-rs/anvil-linux-amd64']).toBeUndefined();
  expect(sim.optionalDependencies['@foundry-rs/anvil-linux-amd64']).toBeTruthy();
  expect(sim.files).not.toContain('contracts');
  // litesvm (the Solana VM behind `solana: true`) is native too: optional, with a ConfigError when absent.
  expect(sim.dependencies.litesvm).toBeUndefined();
  expect(sim.optionalDependencies.litesvm).toBeTruthy();
});

it('the frameworks are peers of the adapters, with the ranges the suite runs', () => {
  expect(manifest('ai-sdk').peerDependencies.ai).toBe('^6.0.0 || ^7.0.0');
  expect(manifest('ai-sdk').dependencies.ai).toBeUndefined();
  expect(manifest('langchain').peerDependencies['@langchain/core']).toBeTruthy();
  expect(manifest('langchain').dependencies['@langchain/core']).toBeUndefined();
});

it('re-exports the budget, wallet and errors next to each adapter', () => {
  for (const mod of [aiSdk, langchain]) {
    for (const name of [
      'createBudget',
      'createWallet',
      'BudgetExceededError',
      'memoryStore',
      'fileStore',
      'redisStore',
    ])
      expect(mod).toHaveProperty(name);
  }
});

// One zod for every package and the frameworks: test/packaging/one-zod.test.ts.
