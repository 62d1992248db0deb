/**
 * What the two `pnpm mutation` runs share (Stryker 10, vitest runner, Node ≥ 22). Each run mutates one part with
 * the tests that exercise it, so a surviving mutant costs the seconds of its own tests, not the whole suite's.
 */
export function strykerConfig({ name, mutate }) {
  return {
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner'],
    vitest: { configFile: `mutation/${name}.vitest.config.ts`, related: false, pool: 'forks' },
    coverageAnalysis: 'perTest',
    mutate,
    ignorePatterns: [
      '/.stryker-tmp',
      '/bench',
      '/examples',
      '/docs',
      '/reports',
      '/coverage',
      '/test-artifacts',
      '/.venice-x402',
    ],
    concurrency: 2,
    // A mutant that loops (a resend without end) is cut this long after its tests' normal time.
    timeoutMS: 10_000,
    incremental: true,
    incrementalFile: `mutation/${name}.incremental.json`,
    reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
    clearTextReporter: { reportMutants: false, reportTests: false },
    htmlReporter: { fileName: `reports/mutation/${name}.html` },
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
    tempDirName: `.stryker-tmp/${name}`,
    cleanTempDir: 'always',
  };
}
