/**
 * What a call to a private model verified (`providerMetadata.venice.tee`, LangChain `response_metadata.tee`). A type,
 * not an interface, so it fits the AI SDK's JSON metadata type.
 */
export type TeeFacts = {
  model: string;
  provider?: string;
  signingAddress: string;
  /** The fresh nonce the attestation bound. */
  nonce: string;
  /** ISO time of the attestation. */
  attestedAt: string;
  /** Prompts were encrypted to the attested key and the answer decrypted. */
  e2ee: boolean;
};

/** Response headers the paid fetch adds so callers can read what a call cost. Nothing else may set them. */
export const OUTCOME_HEADERS = {
  costUsd: 'x-venice-x402-cost-usd',
  balanceUsd: 'x-venice-x402-balance-usd',
  paymentTx: 'x-venice-x402-payment-tx',
  requestId: 'x-venice-x402-request-id',
  budgetRemainingUsd: 'x-venice-x402-budget-remaining-usd',
  /** The completion cap the paid fetch set because the budget could not pay for the model's whole cap. */
  maxTokens: 'x-venice-x402-max-tokens',
  /** A private model's verified attestation (`TeeFacts` as JSON). */
  tee: 'x-venice-x402-tee',
} as const;

/** Every header in our namespace: a server's own copies are removed before ours are added. */
const OUR_PREFIX = 'x-venice-x402-';

/** What one paid call came to, once its hold was settled. */
export interface CallOutcome {
  /**
   * `charged`: committed at `costUsd`. `ambiguous`: the request or payment left the process and no complete answer
   * came back (aborted, timed out, cut): counted at `costUsd` until `reconcile` says what it cost. `free`: nothing
   * was spent. From headers (`readOutcome`): `charged` when the cost header is there, else unset.
   */
  status?: 'charged' | 'ambiguous' | 'free';
  costUsd?: number;
  /**
   * `ambiguous` `upto` payment: what the gateway's receipt claims it settled, below the maximum counted in `costUsd`
   * (a receipt is not the chain: the rest could still be taken until the authorization's deadline).
   */
  claimedUsd?: number;
  /** The wallet's prepaid balance after this call, when the server reported one. */
  balanceRemainingUsd?: number;
  /** USD left in the tightest budget window of the call's scope chain (none when no limit applies). */
  budgetRemainingUsd?: number;
  paymentTx?: string;
  requestId?: string;
  /** The completion cap the paid fetch set because the budget could not pay for the model's whole cap. */
  maxTokensSet?: number;
  /** A `tee-*` / `e2ee-*` model: what its attestation showed, and whether the call was end-to-end encrypted. */
  tee?: TeeFacts;
}

type HeaderSource = Headers | Response | Record<string, string | undefined> | undefined;

const num = (v: string | null | undefined) =>
  v == null || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v);

/**
 * The outcome the paid fetch wrote on a response's headers (a `Response`, `Headers`, or a plain record as the AI
 * SDK hands them over). A JSON answer carries all of it; a stream's headers carry only what was known when it
 * started — await `outcomeOf(response)` for the rest.
 */
export function readOutcome(source: HeaderSource): CallOutcome {
  if (!source) return {};
  const headers = source instanceof Response ? source.headers : source;
  const get =
    headers instanceof Headers ? (name: string) => headers.get(name) : (name: string) => headers[name] ?? null;
  const outcome: CallOutcome = {
    costUsd: num(get(OUTCOME_HEADERS.costUsd)),
    balanceRemainingUsd: num(get(OUTCOME_HEADERS.balanceUsd)),
    budgetRemainingUsd: num(get(OUTCOME_HEADERS.budgetRemainingUsd)),
    paymentTx: get(OUTCOME_HEADERS.paymentTx) ?? undefined,
    requestId: get(OUTCOME_HEADERS.requestId) ?? undefined,
    maxTokensSet: num(get(OUTCOME_HEADERS.maxTokens)),
    tee: teeFacts(get(OUTCOME_HEADERS.tee)),
  };
  if (outcome.costUsd !== undefined) outcome.status = 'charged';
  return pruneOutcome(outcome);
}

function teeFacts(value: string | null | undefined): TeeFacts | undefined {
  if (!value) return undefined;
  try {
    const facts = JSON.parse(value);
    return facts && typeof facts === 'object' && typeof facts.signingAddress === 'string' ? facts : undefined;
  } catch {
    return undefined;
  }
}

/** The outcome without its unset fields. */
export function pruneOutcome(outcome: CallOutcome): CallOutcome {
  return Object.fromEntries(Object.entries(outcome).filter(([, v]) => v !== undefined)) as CallOutcome;
}

const settledBy = new WeakMap<Response, Promise<CallOutcome>>();

/**
 * Resolves when the call behind a response returned by the paid fetch is settled: at once for a JSON answer, when
 * the body ends (or is cut, or cancelled) for a stream. It never rejects. Undefined for a response the paid fetch
 * did not make (another origin, a budget refusal answered as HTTP 402).
 */
export function outcomeOf(response: Response): Promise<CallOutcome> | undefined {
  return settledBy.get(response);
}

/** Ties a returned response to its call's settlement. */
export function linkOutcome(response: Response, settled: Promise<CallOutcome>): Response {
  settledBy.set(response, settled);
  return response;
}

/**
 * A server's answer without headers in our namespace: a gateway must not tell the caller what a call cost. The
 * answer is rebuilt only when it carried one.
 */
export function withoutOurHeaders(response: Response): Response {
  let spoofed = false;
  for (const name of response.headers.keys()) {
    if (name.startsWith(OUR_PREFIX)) {
      spoofed = true;
      break;
    }
  }
  if (!spoofed) return response;
  const headers = new Headers();
  for (const [name, value] of response.headers) if (!name.startsWith(OUR_PREFIX)) headers.append(name, value);
  const nullBody = response.status === 204 || response.status === 205 || response.status === 304;
  const clean = new Response(nullBody ? null : response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
  Object.defineProperty(clean, 'url', { value: response.url });
  return clean;
}
