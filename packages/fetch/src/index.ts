export type { Clock } from './clock.js';
export { createX402Fetch, OUTCOME_HEADERS, type X402FetchOptions } from './create-x402-fetch.js';
export { clearDisputedPayee, disputedPayees } from './disputes.js';
export { createLazyVeniceFetch, type LazyVeniceFetch, type VeniceCredentials } from './lazy-venice-fetch.js';
export { type CallOutcome, outcomeOf, readOutcome } from './outcome.js';
export type { TeeFacts } from './private-model.js';
export { isPaidRoute } from './routes.js';
export { RunCosts } from './run-costs.js';
