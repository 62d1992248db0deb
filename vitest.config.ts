import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string, entry = 'index') =>
  fileURLToPath(new URL(`./packages/${pkg}/src/${entry}.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Subpaths before their package: an alias also matches `<key>/…`.
    alias: {
      '@venice-x402/core/internal': src('core', 'internal'),
      '@venice-x402/core': src('core'),
      '@venice-x402/fetch/internal': src('fetch', 'internal'),
      '@venice-x402/fetch': src('fetch'),
      '@venice-x402/simulator': src('simulator'),
      '@venice-x402/ai-sdk': src('ai-sdk'),
      '@venice-x402/langchain': src('langchain'),
      '@venice-x402/cli': src('cli'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The simulator checks sign-ins as Venice does (api.venice.ai only): clients under test sign for that domain
    // while they talk to 127.0.0.1. Tests of the domain rule itself set signIn.domain explicitly.
    env: { VENICE_SIGN_IN_DOMAIN: 'api.venice.ai' },
    reporters: ['default'],
  },
});
