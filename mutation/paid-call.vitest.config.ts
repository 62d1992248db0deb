import { mutationVitestConfig } from './vitest-base.js';

/**
 * The tests run against each mutant of one paid call's modules (`paid-call.stryker.config.mjs`): the fetch's unit
 * tests and the cross-package tests of one paid call against the simulator and hostile servers. (The SDK and
 * on-chain top-up tests also exercise these modules, but their seconds per mutant would make a run take hours.)
 */
export default mutationVitestConfig([
  'packages/fetch/test/paid-call-owner.test.ts',
  'packages/fetch/test/redirects-and-retries.test.ts',
  'packages/fetch/test/settled-amount.test.ts',
  'test/paid-call.test.ts',
  'test/upto.test.ts',
  'test/reliability/adversarial/fetch-hostile.test.ts',
  'test/reliability/adversarial/attack-2026-12-04-fetch.test.ts',
]);
