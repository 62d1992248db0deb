import { strykerConfig } from './shared.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default strykerConfig({
  name: 'paid-call',
  mutate: [
    'packages/fetch/src/paid-call.ts',
    'packages/fetch/src/redirects.ts',
    'packages/fetch/src/retry.ts',
    'packages/fetch/src/settled-amount.ts',
  ],
});
