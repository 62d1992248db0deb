// What users reach for next to the provider, so that one import line is enough.
export {
  type Budget,
  BudgetExceededError,
  type BudgetPolicyInput,
  createBudget,
  createWallet,
  fileStore,
  memoryStore,
  PaymentRequiredError,
  PolicyDeniedError,
  redisStore,
  type Wallet,
} from '@venice-x402/core';
export { ChatVeniceX402, type ChatVeniceX402CallOptions, type ChatVeniceX402Fields } from './chat-models.js';
export { type EmbeddingsCallCost, VeniceX402Embeddings, type VeniceX402EmbeddingsFields } from './embeddings.js';
export type { CallOutcome, VeniceCredentials } from './paid-client.js';
