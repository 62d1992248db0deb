// The public surface of @venice-x402/core, by name. Plumbing shared by the packages of this repository lives in
// `./internal.ts` (`@venice-x402/core/internal`), which is not part of the public API.
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
export { createEstimator, type Estimate, type Estimator, type ModelPricing, parseModels } from './budget/estimator.js';
export { type FileStore, type FileStoreOptions, fileStore } from './budget/file-store.js';
export { type MemoryStoreOptions, memoryStore } from './budget/memory-store.js';
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
export type {
  BudgetStore,
  CounterLimit,
  HoldRecord,
  JobRecord,
  JobState,
  PaymentRecord,
  RefundArgs,
  RefusalLog,
  RefusalRecord,
  SeriesRow,
  TopUpClaim,
  TopUpRecord,
  UsageRow,
} from './budget/store.js';
export {
  BASE_CHAIN_ID,
  BASE_NETWORK,
  BASE_USDC,
  DEFAULT_BASE_URL,
  HEADERS,
  TOP_UP_MAX_MICROS,
  TOP_UP_MIN_MICROS,
} from './constants.js';
export {
  ApprovalRequiredError,
  AttestationError,
  type AttestationFailure,
  AuthError,
  BudgetExceededError,
  ConfigError,
  E2EEError,
  type E2EEFailure,
  HttpError,
  InvalidKeyError,
  JobFailedError,
  NetworkError,
  PaymentRequiredError,
  ProtocolError,
  QuoteRejectedError,
  type QuoteRejectionReason,
  ReservationSettledError,
  StoreError,
  StoreInputError,
  TimeoutError,
  TopUpError,
  type TopUpHint,
  X402Error,
  type X402ErrorCode,
  type X402ErrorOptions,
} from './errors.js';
export { formatUsd, MICROS_PER_USD, type Micros, microsToUsd, usdToMicros } from './money.js';
export { type Signer, type SignerSource, toSigner } from './signer.js';
export { createSignInFactory, type SignInOptions, type SignInTarget } from './siwx.js';
export { SOLANA_NETWORK, SOLANA_USDC } from './solana/constants.js';
export {
  isSolanaSigner,
  type KitSolanaSigner,
  type SolanaSigner,
  type SolanaSignerSource,
  toSolanaSigner,
} from './solana/signer.js';
export {
  fetchJobQuote,
  type JobQuoteRequest,
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
export { decodePaymentResponse, readPaymentRequired } from './x402/codec.js';
export { defaultSigningPolicy } from './x402/quote.js';
export type { PaymentPayload, PaymentRequired, RawPaymentRequirements, SettleResponse } from './x402/schemas.js';
export { type PaymentShape, type SignedPayment, type SignPaymentOptions, signPayment } from './x402/sign.js';
export type { SigningPolicy } from './x402/terms.js';
export { type UptoAuthorization, uptoSettlementOnChain } from './x402/upto-settlement.js';
