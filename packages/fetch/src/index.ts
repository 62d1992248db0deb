// The public surface of @venice-x402/fetch, by name. What the adapters of this repository share lives in
// `./internal.ts` (`@venice-x402/fetch/internal`), which is not part of the public API.
export type { Clock } from './clock.js';
export { createX402Fetch, OUTCOME_HEADERS, type X402FetchOptions } from './create-x402-fetch.js';
export { clearDisputedPayee, disputedPayees } from './disputes.js';
export { createLazyVeniceFetch, type LazyVeniceFetch, type VeniceCredentials } from './lazy-venice-fetch.js';
export { type CallOutcome, outcomeOf, readOutcome, type TeeFacts } from './outcome.js';
