import { mutationVitestConfig } from './vitest-base.js';

/**
 * The tests run against each mutant of the budget engine and money helpers (`budget.stryker.config.mjs`): every
 * budget test file except the multi-process ones (`budget.test.ts`, `budget-journal.test.ts`), whose worker
 * processes run unmutated code and whose seconds per mutant would make one run take hours on two cores.
 */
export default mutationVitestConfig([
  'packages/core/test/budget-absurd-cost.test.ts',
  'packages/core/test/budget-local-stores.test.ts',
  'packages/core/test/budget-memory-store.test.ts',
  'packages/core/test/budget-model.test.ts',
  'packages/core/test/budget-mutants.test.ts',
  'packages/core/test/budget-parts.test.ts',
  'packages/core/test/budget-policy.test.ts',
  'packages/core/test/budget-refund.test.ts',
  'packages/core/test/budget-state.test.ts',
  'packages/core/test/budget-views.test.ts',
  'packages/core/test/money.test.ts',
]);
