import { AsyncLocalStorage } from 'node:async_hooks';
import type { FetchFunction } from '@ai-sdk/provider-utils';
import { type CallOutcome, outcomeOf } from '@venice-x402/fetch';

/** The model call running in this async context, and the settlement of the request it sent. */
const current = new AsyncLocalStorage<{ settled?: Promise<CallOutcome> }>();

/** The paid fetch, handing each response's settlement to the model call that sent it. */
export function notingOutcomes(fetch: FetchFunction): FetchFunction {
  return async (input, init) => {
    const response = await fetch(input, init);
    const slot = current.getStore();
    if (slot) slot.settled = outcomeOf(response);
    return response;
  };
}

/** Runs one model call; answers its result and the settlement of the request it made (a stream's, at its end). */
export async function withOutcome<T>(call: () => PromiseLike<T>) {
  const slot: { settled?: Promise<CallOutcome> } = {};
  const result = await current.run(slot, call);
  return { result, settled: slot.settled };
}
