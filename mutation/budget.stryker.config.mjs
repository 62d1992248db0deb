import { strykerConfig } from './shared.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default strykerConfig({
  name: 'budget',
  mutate: [
    'packages/core/src/budget/state.ts',
    'packages/core/src/budget/windows.ts',
    'packages/core/src/budget/policy.ts',
    'packages/core/src/budget/memory-store.ts',
    'packages/core/src/money.ts',
  ],
});
