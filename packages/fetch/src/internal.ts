// Plumbing the adapters of this repository share (`@venice-x402/fetch/internal`). Not public API: names here may
// change in any release. Users import from `@venice-x402/fetch`.
export { createLazyVeniceFetch, type LazyVeniceFetch, type VeniceCredentials } from './lazy-venice-fetch.js';
export { isPaidRoute } from './routes.js';
export { RunCosts } from './run-costs.js';
