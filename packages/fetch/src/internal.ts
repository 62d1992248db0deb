// Stateless helpers the adapters of this repository share (`@venice-x402/fetch/internal`). Not public API: names
// here may change in any release. Anything holding state (the paid fetch, its admission queue and disputed payees)
// stays in the root: the CommonJS build gives each entry its own copy of the code.
export { isPaidRoute } from './routes.js';
export { RunCosts } from './run-costs.js';
