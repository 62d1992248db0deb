/**
 * Every error this pack throws is an X402Error with a stable `code`. Messages are short; structured
 * facts go in `details`. Nothing secret (keys, signatures) is ever put in either.
 */
export type X402ErrorCode =
  | 'INVALID_KEY'
  | 'INVALID_CONFIG'
  | 'AUTH_FAILED'
  | 'PAYMENT_REQUIRED'
  | 'QUOTE_REJECTED'
  | 'APPROVAL_REQUIRED'
  | 'TOP_UP_FAILED'
  | 'TOP_UP_AMBIGUOUS'
  | 'BUDGET_EXCEEDED'
  | 'POLICY_DENIED'
  | 'NETWORK_ERROR'
  | 'PROTOCOL_ERROR'
  | 'HTTP_ERROR'
  | 'RATE_LIMITED'
  | 'STORE_ERROR'
  | 'RESERVATION_SETTLED'
  | 'JOB_FAILED'
  | 'INVALID_STORE_INPUT'
  | 'TIMEOUT'
  | 'ATTESTATION_FAILED'
  | 'E2EE_FAILED';

export interface X402ErrorOptions {
  status?: number;
  retryable?: boolean;
  details?: Record<string, unknown>;
  cause?: unknown;
}

// Each class's marker: a registered symbol on its prototype, the same in every copy of this package (ESM and
// CommonJS builds, a bundle), so an error thrown by one copy is recognised by the classes of another.
const MARKERS = new WeakMap<object, symbol>();
const MARKER_PREFIX = 'venice-x402.error';

/** Marks a class and its instances under `venice-x402.error.<name>` (the base class under `venice-x402.error`). */
export function markError(cls: abstract new (...args: any[]) => X402Error, name?: string): void {
  const marker = Symbol.for(name ? `${MARKER_PREFIX}.${name}` : MARKER_PREFIX);
  MARKERS.set(cls, marker);
  Object.defineProperty(cls.prototype, marker, { value: true });
}

function isMarkedInstance(cls: object, value: unknown): boolean {
  const marker = MARKERS.get(cls);
  if (!marker) return Function.prototype[Symbol.hasInstance].call(cls, value); // a subclass of the app's own
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

export class X402Error extends Error {
  /**
   * True for an instance of this class from any copy of the package (the AI SDK's `isInstance` pattern);
   * `instanceof` answers the same.
   */
  static isInstance<T extends abstract new (...args: any[]) => X402Error>(
    this: T,
    value: unknown,
  ): value is InstanceType<T> {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class asked about (a subclass inherits this method)
    return isMarkedInstance(this, value);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the right-hand side of `instanceof`
    return isMarkedInstance(this, value);
  }

  override name = 'X402Error';
  readonly code: X402ErrorCode;
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: X402ErrorCode, message: string, options: X402ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }

  toJSON() {
    return { name: this.name, code: this.code, message: this.message, status: this.status, details: this.details };
  }
}

/** A private key or signer that cannot be used. The offending value is never echoed. */
export class InvalidKeyError extends X402Error {
  override name = 'InvalidKeyError';
  constructor(reason: string) {
    super('INVALID_KEY', `Invalid wallet key: ${reason}`);
  }
}

export class ConfigError extends X402Error {
  override name = 'ConfigError';
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_CONFIG', message, { details });
  }
}

/** The server refused our credentials (401 / 403), e.g. an expired or reused Sign-In-With-X. */
export class AuthError extends X402Error {
  override name = 'AuthError';
  constructor(message: string, options: X402ErrorOptions & { serverCode?: string } = {}) {
    super('AUTH_FAILED', message, { ...options, details: { ...options.details, serverCode: options.serverCode } });
  }
  get serverCode(): string | undefined {
    return this.details.serverCode as string | undefined;
  }
}

export interface TopUpHint {
  currentBalanceUsd?: number;
  minimumBalanceUsd?: number;
  suggestedTopUpUsd?: number;
  minimumTopUpUsd?: number;
  receiverWallet?: string;
  network?: string;
}

/** A 402 that we could not (or were not allowed to) resolve by paying. Carries Venice's top-up hint. */
export class PaymentRequiredError extends X402Error {
  override name = 'PaymentRequiredError';
  readonly topUp: TopUpHint;
  constructor(message: string, options: X402ErrorOptions & { topUp?: TopUpHint } = {}) {
    super('PAYMENT_REQUIRED', message, { status: 402, ...options });
    this.topUp = options.topUp ?? {};
  }
}

/** A payment quote that the signing policy refuses. Raised before anything is signed. */
export class QuoteRejectedError extends X402Error {
  override name = 'QuoteRejectedError';
  readonly reason: string;
  constructor(reason: QuoteRejectionReason, message: string, details?: Record<string, unknown>) {
    super('QUOTE_REJECTED', message, { details: { reason, ...details } });
    this.reason = reason;
  }
}

export type QuoteRejectionReason =
  | 'no_acceptable_option'
  | 'network'
  | 'asset'
  | 'payee'
  | 'payee_changed'
  | 'amount'
  | 'timeout'
  | 'scheme'
  /** A Permit2 quote names a spender or Permit2 contract other than the canonical ones. */
  | 'spender'
  /** An `upto` quote without a valid facilitator to bind into the signed witness. */
  | 'facilitator'
  | 'malformed';

/**
 * A Permit2 payment (`upto`, or `exact` for a token without EIP-3009) needs the wallet's one-time ERC-20 approval of
 * the Permit2 contract, which it lacks, and the server sponsors none. Raised before anything is signed. This package
 * sends no transactions: `details.approveTx` (`{ to, data }`) is the approval for the wallet to send once.
 */
export class ApprovalRequiredError extends X402Error {
  override name = 'ApprovalRequiredError';
  constructor(message: string, details: Record<string, unknown>) {
    super('APPROVAL_REQUIRED', message, { status: 402, details });
  }
}

export class TopUpError extends X402Error {
  override name = 'TopUpError';
  constructor(message: string, options: X402ErrorOptions & { ambiguous?: boolean; serverCode?: string } = {}) {
    super(options.ambiguous ? 'TOP_UP_AMBIGUOUS' : 'TOP_UP_FAILED', message, {
      ...options,
      details: { ...options.details, serverCode: options.serverCode },
    });
  }
}

/** The budget policy refused a call. Thrown before any network I/O. */
export class BudgetExceededError extends X402Error {
  override name = 'BudgetExceededError';
  constructor(message: string, details: Record<string, unknown>) {
    super('BUDGET_EXCEEDED', message, { details });
  }
  get limit(): string | undefined {
    return this.details.limit as string | undefined;
  }
  get scope(): string | undefined {
    return this.details.scope as string | undefined;
  }
}

/** The transport failed (connection refused, reset, timeout). */
export class NetworkError extends X402Error {
  override name = 'NetworkError';
  constructor(message: string, options: X402ErrorOptions = {}) {
    super('NETWORK_ERROR', message, { retryable: true, ...options });
  }
}

/** The server sent something we cannot parse or that violates the protocol. */
export class ProtocolError extends X402Error {
  override name = 'ProtocolError';
  constructor(message: string, details?: Record<string, unknown>) {
    super('PROTOCOL_ERROR', message, { details });
  }
}

/** A non-OK HTTP answer that has no more specific class. */
export class HttpError extends X402Error {
  override name = 'HttpError';
  constructor(status: number, message: string, details?: Record<string, unknown>) {
    super('HTTP_ERROR', message, { status, retryable: status >= 500 || status === 429, details });
  }
}

export class StoreError extends X402Error {
  override name = 'StoreError';
  constructor(message: string, options: X402ErrorOptions = {}) {
    super('STORE_ERROR', message, options);
  }
}

/** A reservation was committed or released a second time. Nothing changed. */
export class ReservationSettledError extends X402Error {
  override name = 'ReservationSettledError';
  constructor(id: string, attempted: 'commit' | 'release' | 'markAmbiguous') {
    super('RESERVATION_SETTLED', `Reservation ${id} was already settled; this ${attempted} changed nothing`, {
      details: { reservation: id, attempted },
    });
  }
}

/**
 * A budget store was asked to write what it cannot hold (an amount outside 0…$1bn, a malformed id or time).
 * Nothing was written: the store and every process sharing it go on as before.
 */
export class StoreInputError extends X402Error {
  override name = 'StoreInputError';
  constructor(operation: string, field: string, rule: string) {
    super('INVALID_STORE_INPUT', `Budget store refused a ${operation}: ${field} ${rule}`, {
      details: { operation, field, rule },
    });
  }
}

/** A call, or a stream that stopped sending, ran past its time limit. */
export class TimeoutError extends X402Error {
  override name = 'TimeoutError';
  constructor(message: string, details?: Record<string, unknown>) {
    super('TIMEOUT', message, { retryable: true, details });
  }
}

/** Why a private model's attestation was refused (`AttestationError.reason`). */
export type AttestationFailure =
  | 'unavailable' // the attestation route did not answer 2xx JSON
  | 'malformed' // a field is missing or not what it must be
  | 'server' // the server itself says it is not verified
  | 'model' // it attests another model
  | 'nonce' // our fresh nonce is not bound in the quote's REPORTDATA (or the echo differs)
  | 'address' // signing_address is not the signing key's address, or is not bound in REPORTDATA
  | 'debug' // the TD runs with its DEBUG attribute set
  | 'quote'; // not a TDX quote we can read

/**
 * A `tee-*` / `e2ee-*` model's attestation failed a check the client makes. Thrown before anything is sent to the
 * model. `details`: `{ model, reason, status? }` — never the server's key or quote.
 */
export class AttestationError extends X402Error {
  override name = 'AttestationError';
  readonly reason: AttestationFailure;
  constructor(reason: AttestationFailure, message: string, details: Record<string, unknown> = {}) {
    super('ATTESTATION_FAILED', message, { details: { reason, ...details } });
    this.reason = reason;
  }
}

/** Why end-to-end encryption refused a request or an answer (`E2EEError.reason`). */
export type E2EEFailure =
  | 'unsupported' // a request E2EE cannot carry (non-text content, tools, another route)
  | 'plaintext' // an answer that should be encrypted is not
  | 'undecryptable'; // encrypted-looking content that does not decrypt (bad key, tag, truncated)

/**
 * An `e2ee-*` request could not be encrypted, or its answer was not encrypted or did not decrypt. Fails closed:
 * the content is never handed over. `details`: `{ model, reason }` — never content or keys.
 */
export class E2EEError extends X402Error {
  override name = 'E2EEError';
  readonly reason: E2EEFailure;
  constructor(reason: E2EEFailure, message: string, details: Record<string, unknown> = {}) {
    super('E2EE_FAILED', message, { details: { reason, ...details } });
    this.reason = reason;
  }
}

/** A video or music job that the provider failed or refused; `refundedUsd` is what the budget was credited. */
export class JobFailedError extends X402Error {
  override name = 'JobFailedError';
  constructor(message: string, details: { queueId: string; model: string; refundedUsd: number; reason: string }) {
    super('JOB_FAILED', message, { details });
  }
  get queueId(): string {
    return this.details.queueId as string;
  }
  get refundedUsd(): number {
    return this.details.refundedUsd as number;
  }
}

for (const [name, cls] of Object.entries({
  InvalidKeyError,
  ConfigError,
  AuthError,
  PaymentRequiredError,
  QuoteRejectedError,
  ApprovalRequiredError,
  TopUpError,
  BudgetExceededError,
  NetworkError,
  ProtocolError,
  HttpError,
  StoreError,
  ReservationSettledError,
  TimeoutError,
  JobFailedError,
  AttestationError,
  E2EEError,
}))
  markError(cls, name);
markError(X402Error);
