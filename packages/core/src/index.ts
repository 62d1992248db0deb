export {
  type Budget,
  type BudgetEvents,
  type BudgetOptions,
  type BudgetReport,
  type BudgetReportJson,
  type BudgetTimers,
  type ChargeDetails,
  type ChargeEvent,
  type CommitOutcome,
  createBudget,
  PolicyDeniedError,
  type RefundEvent,
  type RefundRequest,
  type ReportRow,
  type Reservation,
  type ReserveRequest,
  type TopUpEvent,
  type WindowStatus,
} from './budget/budget.js';
export { type CounterKey, decodeCounterKey, encodeCounterKey } from './budget/counter-key.js';
export { createEstimator, type Estimate, type Estimator, type ModelPricing, parseModels } from './budget/estimator.js';
export { type FileStore, type FileStoreOptions, fileStore } from './budget/file-store.js';
export { globMatch } from './budget/glob.js';
export { memoryStore } from './budget/memory-store.js';
export {
  type BudgetPolicy,
  type BudgetPolicyInput,
  loadPolicyFile,
  parsePolicy,
  policySchemas,
} from './budget/policy.js';
export { type ReconcileReport, reconcile } from './budget/reconcile.js';
export { type RedisLike, redisStore } from './budget/redis-store.js';
export { type RestoreReport, restoreFromVenice } from './budget/restore.js';
export {
  type BudgetStore,
  type CounterLimit,
  type HoldRecord,
  type JobRecord,
  type JobState,
  PAYMENT_LOG_SIZE,
  type PaymentRecord,
  REFUSAL_LOG_SIZE,
  type RefundArgs,
  type RefusalLog,
  type RefusalRecord,
  SERIES_RETENTION_HOURS,
  type SeriesRow,
  type TopUpClaim,
  type TopUpRecord,
  type UsageRow,
} from './budget/store.js';
export { dayOf, hourOf, scopeChain, windowId } from './budget/windows.js';
export * from './constants.js';
export * from './errors.js';
export { errorText, type FetchLike, joinUrl, readJson, send, sleep } from './http.js';
/** zod (v4 API), loaded on first use: for the packages of this repo, so every package validates with one zod. */
export { zod as loadZod } from './lazy.js';
export * from './money.js';
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
export { type Signer, type SignerSource, toSigner } from './signer.js';
export {
  createSignInFactory,
  findSiwxChallenge,
  type SignInOptions,
  type SignInTarget,
  type SiwxChallengeInfo,
} from './siwx.js';
export { base58Decode, base58Encode, isSolanaAddress } from './solana/base58.js';
export { SOLANA_CHAIN_REFERENCE, SOLANA_NETWORK, SOLANA_USDC } from './solana/constants.js';
export type { SolanaAcceptedRequirement } from './solana/quote.js';
export {
  isSolanaSigner,
  type KitSolanaSigner,
  type SolanaSigner,
  type SolanaSignerSource,
  toSolanaSigner,
} from './solana/signer.js';
export { type SolanaSignInFields, solanaSignInMessage } from './solana/siwx.js';
export {
  fetchJobQuote,
  type JobQuoteRequest,
  jobQuoteRoute,
  MAX_JOB_QUOTE_USD,
  MIN_JOB_QUOTE_USD,
} from './venice/job-quote.js';
export type {
  JobKind,
  JobMedia,
  JobProgress,
  JobResult,
  JobWaitOptions,
  VeniceJobsOptions,
} from './venice/jobs/job-types.js';
export { createVeniceJobs, type VeniceJobs } from './venice/jobs/venice-jobs.js';
export { toVeniceParameters, type VeniceParameters, veniceParametersSchema } from './venice/parameters.js';
export type { VeniceTransaction } from './venice/schemas.js';
export { type Attestation, type AttestRequest, fetchAttestation, verifyAttestation } from './venice/tee/attestation.js';
export { AttestationCache } from './venice/tee/attestation-cache.js';
export {
  type KeyPair,
  MIN_SEALED_HEX,
  newKeyPair,
  publicKeyBytes,
  sealerTo,
  sealFresh,
  type Unsealed,
  unseal,
} from './venice/tee/e2ee-crypto.js';
export { E2EE_HEADERS, E2eeSession } from './venice/tee/e2ee-session.js';
export { attestedModelId, type PrivateModelKind, privateModelKind } from './venice/tee/private-model.js';
export { parseTdxQuote, type TdxQuote } from './venice/tee/tdx-quote.js';
export type { Balance, TopUpQuote, TopUpResult, TransactionsPage } from './venice/wallet-api.js';
export { createWallet, type EvmWallet, type SolanaWallet, type Wallet, type WalletOptions } from './wallet.js';
export * from './x402/codec.js';
export * from './x402/networks.js';
export * from './x402/permit2.js';
export { permit2ApprovalError } from './x402/permit2-sign.js';
export * from './x402/quote.js';
export * from './x402/schemas.js';
export { type PaymentShape, type SignedPayment, type SignPaymentOptions, signPayment } from './x402/sign.js';
