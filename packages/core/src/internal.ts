// Plumbing that the other packages of this repository share (`@venice-x402/core/internal`). Not public API: names
// here may change in any release. Users import from `@venice-x402/core`.
export { type CounterKey, decodeCounterKey, encodeCounterKey } from './budget/counter-key.js';
export { globMatch } from './budget/glob.js';
export { PAYMENT_LOG_SIZE, REFUSAL_LOG_SIZE, SERIES_RETENTION_HOURS } from './budget/store.js';
export { dayOf, hourOf, scopeChain, windowId } from './budget/windows.js';
export { USDC_EIP712 } from './constants.js';
export { markError } from './errors.js';
/** Counters of Sign-In-With-X headers signed ahead / on request (benchmarks). */
export { ringCounters as signInHeaderCounters } from './header-ring.js';
export { errorText, type FetchLike, joinUrl, readJson, send, sleep } from './http.js';
/** zod (v4 API), loaded on first use: for the packages of this repo, so every package validates with one zod. */
export { zod as loadZod } from './lazy.js';
export { formatUsdAmount, parseBaseUnits, parseUsdString } from './money.js';
export {
  audioDurationSeconds,
  billableAudioSeconds,
  LOWEST_AUDIO_BYTES_PER_SECOND,
} from './pricing/audio/duration.js';
export {
  askedCompletionCap,
  chatHoldMicros,
  completionCapWithin,
  setsNoCompletionCap,
  type TextPricing,
} from './pricing/chat-hold.js';
export { findSiwxChallenge, type SiwxChallengeInfo } from './siwx.js';
export { base58Decode, base58Encode, isSolanaAddress } from './solana/base58.js';
export { SOLANA_CHAIN_REFERENCE } from './solana/constants.js';
export type { SolanaAcceptedRequirement } from './solana/quote.js';
export { type SolanaSignInFields, solanaSignInMessage } from './solana/siwx.js';
export { jobQuoteRoute } from './venice/job-quote.js';
export {
  decodeBase64Json,
  encodeBase64Json,
  encodePaymentPayload,
  encodePaymentRequired,
  parseWith,
} from './x402/codec.js';
export { evmChainId, networkFamily, normalizeNetwork, shortNetworkName, type WalletFamily } from './x402/networks.js';
export {
  type EvmScheme,
  permit2Contracts,
  permit2Rejection,
  type TransferMethod,
  transferMethodOf,
} from './x402/permit2.js';
export { permit2ApprovalError } from './x402/permit2-sign.js';
export {
  type AcceptedRequirement,
  checkPin,
  type EvmAcceptedRequirement,
  enforcePayeePin,
  isAllowedPayee,
  memoryPayeePins,
  type PayeePins,
  type SchemeOptions,
  selectRequirement,
} from './x402/quote.js';
export { x402Schemas } from './x402/schemas.js';
export { checkTerms } from './x402/terms.js';
