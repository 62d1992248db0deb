export { ChatVeniceX402, type ChatVeniceX402CallOptions, type ChatVeniceX402Fields } from './chat-models.js';
export { VeniceX402Embeddings, type VeniceX402EmbeddingsFields } from './embeddings.js';
export type { CallOutcome, VeniceCredentials } from './paid-client.js';
