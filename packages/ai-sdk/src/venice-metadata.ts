import type { JSONObject, SharedV3ProviderMetadata } from '@ai-sdk/provider';
import { type CallOutcome, readOutcome, type TeeFacts } from '@venice-x402/fetch';

/** What `providerMetadata.venice` carries: the call's outcome as the paid fetch settled it. */
export interface VeniceCallMetadata {
  costUsd?: number;
  balanceRemainingUsd?: number;
  paymentTx?: string;
  budgetRemainingUsd?: number;
  requestId?: string;
  /**
   * Chat: what the whole agent run has cost so far — this step plus every earlier step whose tool calls this
   * step's prompt answers (a `generateText` / `streamText` tool loop, in this process). On the result and in
   * `onFinish` (the last step's metadata) it is the run's total; `costUsd` stays the one step's cost.
   */
  totalCostUsd?: number;
  /** Images only: the whole request's cost (each image's `costUsd` is its share). */
  callCostUsd?: number;
  /** The completion cap the paid fetch set because the budget could not pay for the model's whole cap. */
  maxTokensSet?: number;
  /** A `tee-*` / `e2ee-*` model: the attestation checked before the call, and whether it was end-to-end encrypted. */
  tee?: TeeFacts;
}

/** The metadata of a settled call (`outcomeOf`) or of the outcome headers on its response. */
export function metadataOf(outcome: CallOutcome | undefined): VeniceCallMetadata {
  if (!outcome) return {};
  const { costUsd, balanceRemainingUsd, paymentTx, budgetRemainingUsd, requestId, maxTokensSet, tee } = outcome;
  return prune({ costUsd, balanceRemainingUsd, paymentTx, budgetRemainingUsd, requestId, maxTokensSet, tee });
}

/** Reads the outcome headers the paid fetch puts on every settled JSON response. */
export function metadataFromHeaders(headers: Record<string, string | undefined> | undefined): VeniceCallMetadata {
  return metadataOf(readOutcome(headers));
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
