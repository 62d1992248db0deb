import { type ChargeEvent, X402Error } from '@venice-x402/core';
import { createLazyVeniceFetch, OUTCOME_HEADERS, type VeniceCredentials } from '@venice-x402/fetch';

export type { VeniceCredentials };

/** What a call cost, as settled by the paid fetch. */
export interface CallOutcome {
  costUsd?: number;
  balanceRemainingUsd?: number;
  paymentTx?: string;
  budgetRemainingUsd?: number;
}

const CREDENTIAL_KEYS = ['privateKey', 'wallet', 'apiKey', 'budget', 'baseURL', 'signIn', 'scope', 'fetch'] as const;
type CredentialKey = (typeof CREDENTIAL_KEYS)[number];

/** Splits credential fields off the rest, so they never reach LangChain's serialisable kwargs. */
export function splitCredentials<T extends object>(fields: T): [VeniceCredentials, Omit<T, CredentialKey>] {
  const credentials: Record<string, unknown> = {};
  const rest = { ...fields } as Record<string, unknown>;
  for (const key of CREDENTIAL_KEYS) {
    if (key in rest) {
      credentials[key] = rest[key];
      delete rest[key];
    }
  }
  return [credentials as VeniceCredentials, rest as Omit<T, CredentialKey>];
}

const num = (v: string | null) => (v == null || !Number.isFinite(Number(v)) ? undefined : Number(v));

/**
 * The shared paid fetch plus the bookkeeping LangChain needs to put each call's cost in
 * `response_metadata`: outcomes by request id, from response headers (JSON) or charge events (streams).
 */
export function createPaidClient(credentials: VeniceCredentials) {
  // LangChain unwraps and fails fast on our typed errors: keep refusals thrown.
  const paid = createLazyVeniceFetch({ ...credentials, refusal: 'throw' });
  const outcomes = new Map<string, CallOutcome>();
  const waiters = new Map<string, (o: CallOutcome) => void>();
  const remember = (id: string, outcome: CallOutcome) => {
    const merged = {
      ...outcomes.get(id),
      ...Object.fromEntries(Object.entries(outcome).filter(([, v]) => v !== undefined)),
    };
    outcomes.set(id, merged);
    if (outcomes.size > 1000) outcomes.delete(outcomes.keys().next().value!);
    waiters.get(id)?.(merged);
    waiters.delete(id);
  };
  paid.budget.on('charge', (c: ChargeEvent) => {
    if (c.requestId) remember(c.requestId, { costUsd: c.costUsd, paymentTx: c.paymentTx });
  });

  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const res = await paid.fetch(input, init);
    const id = res.headers.get(OUTCOME_HEADERS.requestId);
    if (id) {
      remember(id, {
        costUsd: num(res.headers.get(OUTCOME_HEADERS.costUsd)),
        balanceRemainingUsd: num(res.headers.get(OUTCOME_HEADERS.balanceUsd)),
        paymentTx: res.headers.get(OUTCOME_HEADERS.paymentTx) ?? undefined,
        budgetRemainingUsd: num(res.headers.get(OUTCOME_HEADERS.budgetRemainingUsd)),
      });
    }
    return res;
  };

  return {
    baseURL: paid.baseURL,
    budget: paid.budget,
    fetch,
    wallet: paid.wallet,
    outcome: (id: string | undefined) => (id ? outcomes.get(id) : undefined),
    /** Waits (bounded) for a streamed call's settlement, which lands as its last frame is read. */
    waitForOutcome(id: string, timeoutMs = 1000): Promise<CallOutcome | undefined> {
      if (outcomes.get(id)?.costUsd !== undefined) return Promise.resolve(outcomes.get(id));
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters.delete(id);
          resolve(outcomes.get(id));
        }, timeoutMs);
        waiters.set(id, (o) => {
          clearTimeout(timer);
          resolve(o);
        });
      });
    },
  };
}

export type PaidClient = ReturnType<typeof createPaidClient>;

/** LangChain's AsyncCaller must not retry our typed errors (a refusal stays a refusal, a 402 is handled in the fetch). */
export function failFastOnX402(error: unknown): void {
  const cause = (error as { cause?: unknown })?.cause;
  if (error instanceof X402Error) throw error;
  if (cause instanceof X402Error) throw cause;
  const status = (error as { status?: number })?.status;
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) throw error;
}
