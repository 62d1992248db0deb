export { createX402Fetch, OUTCOME_HEADERS, type X402FetchOptions } from './create-x402-fetch.js';
export { isPaidRoute } from './routes.js';
