import { X402Error } from '@venice-x402/core';
import {
  type CallOutcome,
  createLazyVeniceFetch,
  outcomeOf,
  readOutcome,
  type VeniceCredentials,
} from '@venice-x402/fetch';
import { RunCosts } from '@venice-x402/fetch/internal';

export type { CallOutcome, VeniceCredentials };

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

/**
 * The shared paid fetch plus what LangChain needs to put each call's outcome in `response_metadata`: outcomes by
 * request id (the id LangChain gives the message), taken from the call's settlement. A stream ends for its reader
 * only once it is settled, so its outcome is known when the last chunk has been read: nothing waits on a timer.
 */
export function createPaidClient(credentials: VeniceCredentials) {
  // LangChain unwraps and fails fast on our typed errors: keep refusals thrown.
  const paid = createLazyVeniceFetch({ ...credentials, refusal: 'throw' });
  const outcomes = new Map<string, CallOutcome>();
  const remember = (outcome: CallOutcome) => {
    const id = outcome.requestId;
    if (!id) return;
    outcomes.set(id, { ...outcomes.get(id), ...outcome });
    if (outcomes.size > 1000) outcomes.delete(outcomes.keys().next().value!);
  };

  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const res = await paid.fetch(input, init);
    remember(readOutcome(res));
    outcomeOf(res)?.then(remember);
    return res;
  };

  return {
    baseURL: paid.baseURL,
    budget: paid.budget,
    fetch,
    wallet: paid.wallet,
    /** Totals of agent runs (tool-call loops) across this model's calls. */
    runCosts: new RunCosts(),
    outcome: (id: string | undefined) => (id ? outcomes.get(id) : undefined),
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
