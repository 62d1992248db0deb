import { defineConfig } from 'vitest/config';
import base from '../vitest.config.js';

/** The root Vitest config with only `include` replaced (`mergeConfig` would append it to the whole suite's list). */
export function mutationVitestConfig(include: string[]) {
  return defineConfig({
    ...base,
    test: {
      ...base.test,
      root: new URL('..', import.meta.url).pathname,
      // A short model-based run per mutant; `FC_RUNS` raises it for the ordinary suite.
      env: { ...base.test?.env, FC_RUNS: '20' },
      include,
      setupFiles: [new URL('./setup.ts', import.meta.url).pathname],
      // One worker keeps its modules from mutant to mutant (Stryker switches mutants at run time): without this,
      // every mutant pays each test file's imports and server start-up again.
      isolate: false,
    },
  });
}
