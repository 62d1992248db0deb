import { mutationVitestConfig } from './vitest-base.js';

/** The tests run against each mutant of one paid call's modules (`paid-call.stryker.config.mjs`). */
export default mutationVitestConfig([
  'packages/fetch/test/redirects-and-retries.test.ts',
  'test/paid-call.test.ts',
  'test/paid-fetch.test.ts',
  'test/budget-refusals.test.ts',
  'test/small-budgets.test.ts',
  'test/upto.test.ts',
  'test/reliability/adversarial/fetch-hostile.test.ts',
  'test/reliability/adversarial/attack-2026-12-04-fetch.test.ts',
]);
