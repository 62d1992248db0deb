import type { MetadataExtractor } from '@ai-sdk/openai-compatible';
import type { JSONObject, SharedV3ProviderMetadata } from '@ai-sdk/provider';
import { OUTCOME_HEADERS } from '@venice-x402/fetch';

/** What `providerMetadata.venice` carries: the call's cost as the paid fetch settled it. */
export interface VeniceCallMetadata {
  costUsd?: number;
  balanceRemainingUsd?: number;
  paymentTx?: string;
  budgetRemainingUsd?: number;
  requestId?: string;
  /** Images only: the whole request's cost (each image's `costUsd` is its share). */
  callCostUsd?: number;
  /** The completion cap the paid fetch set because the budget could not pay for the model's whole cap. */
  maxTokensSet?: number;
}

const num = (v: string | undefined | null) =>
  v == null || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v);

/** Reads the outcome headers the paid fetch puts on every settled JSON response. */
export function metadataFromHeaders(headers: Record<string, string | undefined> | undefined): VeniceCallMetadata {
  if (!headers) return {};
  return prune({
    costUsd: num(headers[OUTCOME_HEADERS.costUsd]),
    balanceRemainingUsd: num(headers[OUTCOME_HEADERS.balanceUsd]),
    paymentTx: headers[OUTCOME_HEADERS.paymentTx],
    budgetRemainingUsd: num(headers[OUTCOME_HEADERS.budgetRemainingUsd]),
    requestId: headers[OUTCOME_HEADERS.requestId],
    maxTokensSet: num(headers[OUTCOME_HEADERS.maxTokens]),
  });
}

export function prune(meta: VeniceCallMetadata): VeniceCallMetadata {
  return Object.fromEntries(Object.entries(meta).filter(([, v]) => v !== undefined)) as VeniceCallMetadata;
}

export function mergeVenice(
  existing: SharedV3ProviderMetadata | undefined,
  extra: VeniceCallMetadata,
): SharedV3ProviderMetadata | undefined {
  if (Object.keys(extra).length === 0) return existing;
  return { ...existing, venice: { ...(existing?.venice ?? {}), ...(extra as JSONObject) } };
}

/** Picks `cost.usd` from a chat body or the final SSE chunk. */
export const costExtractor: MetadataExtractor = {
  async extractMetadata({ parsedBody }) {
    const usd = (parsedBody as any)?.cost?.usd;
    return typeof usd === 'number' ? { venice: { costUsd: usd } } : undefined;
  },
  createStreamExtractor() {
    let costUsd: number | undefined;
    let requestId: string | undefined;
    return {
      processChunk(chunk) {
        const usd = (chunk as any)?.cost?.usd;
        if (typeof usd === 'number') costUsd = usd;
        const id = (chunk as any)?.id;
        if (typeof id === 'string') requestId ??= id;
      },
      buildMetadata: () => {
        const venice = prune({ costUsd, requestId });
        return Object.keys(venice).length ? { venice: venice as JSONObject } : undefined;
      },
    };
  },
};
