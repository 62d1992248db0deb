import { decodePaymentResponse, formatUsd, type Micros, NetworkError } from '@venice-x402/core';
import { autoMaxTokensOf } from './auto-max-tokens.js';
import { actualCost, partialCost, promptTokensOf } from './cost.js';
import { concatBytes } from './deferred-body-response.js';
import type { PaidCall } from './paid-call.js';
import { parseJson } from './request-body.js';
import type { Sent } from './send.js';
import { type BodyFacts, balanceFromHeaders, factsFromJson, type SseOutcome, tapLargeJson, tapSse } from './settle.js';
import { SettledResponse } from './settled-response.js';

/** Response headers the paid fetch adds so adapters can report what a call cost. */
export const OUTCOME_HEADERS = {
  costUsd: 'x-venice-x402-cost-usd',
  balanceUsd: 'x-venice-x402-balance-usd',
  paymentTx: 'x-venice-x402-payment-tx',
  requestId: 'x-venice-x402-request-id',
  budgetRemainingUsd: 'x-venice-x402-budget-remaining-usd',
  /** The completion cap the paid fetch set because the budget could not pay for the model's whole cap. */
  maxTokens: 'x-venice-x402-max-tokens',
} as const;

const STRIP_ON_REBUILD = ['content-encoding', 'content-length', 'transfer-encoding'];

/**
 * A 2xx answer: settles the hold when the body is complete. SSE streams pass through unbuffered and
 * settle on their last frame; JSON up to `maxBufferedBodyBytes` is read whole and returned with cost
 * headers; anything larger streams through and settles at its end.
 */
export async function settleAnswer(call: PaidCall, sent: Sent): Promise<Response> {
  const { response } = sent;
  if (call.payment) {
    try {
      call.paymentTx = decodePaymentResponse(response.headers.get('PAYMENT-RESPONSE'))?.transaction;
    } catch {
      call.paymentTx = undefined; // a garbled receipt does not undo a paid answer
    }
  }
  const contentType = response.headers.get('content-type') ?? '';
  const idle = call.ctx.streamIdleTimeoutMs;
  if (contentType.includes('text/event-stream') && response.body) {
    sent.clearTimeout(); // from here the idle timer watches the stream
    const body = tapSse(
      response.body,
      (outcome) => {
        sent.releaseSlot();
        if (call.reservation) settleStream(call, outcome).catch(() => {});
      },
      idle,
    );
    // What is known when the stream starts (cost comes in its last frame): balance, payment, request id.
    const known: Record<string, string> = {};
    const balance = balanceFromHeaders(response.headers);
    if (balance !== undefined) known[OUTCOME_HEADERS.balanceUsd] = formatUsd(balance);
    const tx = call.paymentTx ?? call.topUpTx;
    if (tx) known[OUTCOME_HEADERS.paymentTx] = tx;
    const requestId = response.headers.get('x-request-id');
    if (requestId) known[OUTCOME_HEADERS.requestId] = requestId;
    const cap = autoMaxTokensOf(call);
    if (cap !== undefined) known[OUTCOME_HEADERS.maxTokens] = String(cap);
    return rebuild(response, body, known);
  }
  if (!call.reservation) {
    sent.releaseSlot();
    sent.clearTimeout();
    return response;
  }

  const limit = call.ctx.maxBufferedBodyBytes;
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  let buffer: Uint8Array | ReadableStream<Uint8Array>;
  try {
    buffer =
      declared > limit && response.body
        ? response.body
        : declared <= limit && !response.headers.has('content-encoding') // fits as sent: read whole in one go
          ? new Uint8Array(await response.arrayBuffer())
          : await readUpTo(response, limit);
  } catch (error) {
    sent.releaseSlot();
    sent.clearTimeout();
    // Cut while reading: a paid-per-call answer is spent; a Venice answer that never completed is not billed.
    if (call.payment)
      await call.commit(call.payment.amountMicros, {
        model: call.model,
        source: 'payment',
        note: 'body lost after payment',
      });
    else await call.release();
    throw new NetworkError(`Response body of ${call.info.route} was cut`, { cause: error });
  }
  if (!(buffer instanceof Uint8Array)) {
    sent.clearTimeout();
    const body = tapLargeJson(
      buffer,
      (facts, cut) => {
        sent.releaseSlot();
        settleFacts(call, response, facts, cut).catch(() => {});
      },
      idle,
    );
    return rebuild(response, body);
  }
  sent.releaseSlot();
  sent.clearTimeout();
  const parsed = contentType.includes('json') ? parseJson(buffer) : undefined;
  const facts = parsed !== undefined ? factsFromJson(parsed) : {};
  const settled = await settleFacts(call, response, facts, false);
  const headers = new Headers(response.headers);
  for (const h of STRIP_ON_REBUILD) headers.delete(h);
  headers.set(OUTCOME_HEADERS.costUsd, formatUsd(settled.cost));
  if (settled.balance !== undefined) headers.set(OUTCOME_HEADERS.balanceUsd, formatUsd(settled.balance));
  const tx = call.paymentTx ?? call.topUpTx;
  if (tx) headers.set(OUTCOME_HEADERS.paymentTx, tx);
  if (settled.requestId) headers.set(OUTCOME_HEADERS.requestId, settled.requestId);
  if (settled.remainingUsd !== undefined) headers.set(OUTCOME_HEADERS.budgetRemainingUsd, String(settled.remainingUsd));
  const cap = autoMaxTokensOf(call);
  if (cap !== undefined) headers.set(OUTCOME_HEADERS.maxTokens, String(cap));
  return new SettledResponse(
    buffer,
    parsed,
    { status: response.status, statusText: response.statusText, headers },
    response.url,
  );
}

async function settleFacts(call: PaidCall, response: Response, facts: BodyFacts, cut: boolean) {
  const held = call.reservation!;
  const requestId = facts.requestId ?? response.headers.get('x-request-id') ?? undefined;
  const cost = await actualCost(
    call.ctx.estimator,
    held,
    facts,
    { model: call.model, paygMicros: call.payment?.amountMicros },
    call.info.json,
  );
  const balance = balanceFromHeaders(response.headers);
  const outcome = await call.commit(cost.micros, {
    requestId,
    model: facts.model ?? call.model,
    source: cost.source,
    balanceRemainingMicros: balance,
    note: cut ? 'body cut before its end' : undefined,
  });
  return { cost: cost.micros, balance, requestId, remainingUsd: outcome?.remainingUsd };
}

async function settleStream(call: PaidCall, outcome: SseOutcome) {
  const held = call.reservation!;
  const facts = { model: call.model, paygMicros: call.payment?.amountMicros };
  let cost: { micros: Micros; source: 'cost' | 'usage' | 'payment' | 'partial' | 'estimate' };
  if (facts.paygMicros !== undefined) cost = { micros: facts.paygMicros, source: 'payment' };
  else if (!outcome.cut) cost = await actualCost(call.ctx.estimator, held, outcome, facts, undefined);
  else {
    const promptTokens = promptTokensOf(call.info.json);
    cost = {
      micros: await partialCost(call.ctx.estimator, held, outcome, { ...facts, promptTokens }),
      source: 'partial',
    };
  }
  await call.commit(cost.micros, {
    requestId: outcome.requestId,
    model: outcome.model ?? call.model,
    source: cost.source,
    note: outcome.cut ? `stream cut after ${outcome.streamedTokens} tokens: billed the partial output` : outcome.error,
  });
}

/**
 * Reads a body whole if it fits in `limit` bytes; otherwise returns a stream that replays what was read
 * and continues with the rest, so a huge body is never held in memory.
 */
async function readUpTo(response: Response, limit: number): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size > limit) {
      let i = 0;
      return new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            if (i < chunks.length) {
              controller.enqueue(chunks[i]!);
              chunks[i++] = new Uint8Array(0);
              return;
            }
            const next = await reader.read();
            if (next.done) controller.close();
            else controller.enqueue(next.value);
          },
          cancel: (reason) => reader.cancel(reason),
        },
        { highWaterMark: 0 },
      );
    }
  }
  return concatBytes(chunks, size);
}

function rebuild(response: Response, body: ReadableStream<Uint8Array>, extra: Record<string, string> = {}) {
  const headers = new Headers(response.headers);
  for (const h of STRIP_ON_REBUILD) headers.delete(h);
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}
