import { formatUsd, type Micros, NetworkError } from '@venice-x402/core';
import { autoMaxTokensOf } from './auto-max-tokens.js';
import { actualCost, partialCost, promptTokensOf } from './cost.js';
import { concatBytes } from './deferred-body-response.js';
import { OUTCOME_HEADERS } from './outcome.js';
import type { PaidCall } from './paid-call.js';
import { parseJson } from './request-body.js';
import { type BodyFacts, balanceFromHeaders, factsFromJson, type SseOutcome, tapLargeJson, tapSse } from './settle.js';
import { paidMicros, readSettlement, unsettledNote } from './settled-amount.js';
import { SettledResponse } from './settled-response.js';
import { MAX_SSE_LINE_CHARS } from './sse-lines.js';

const STRIP_ON_REBUILD = ['content-encoding', 'content-length', 'transfer-encoding'];

/**
 * A 2xx answer: settles the hold when the body is complete. SSE streams pass through unbuffered and
 * settle on their last frame; JSON up to `maxBufferedBodyBytes` is read whole and returned with cost
 * headers; anything larger streams through and settles at its end.
 */
export async function settleAnswer(call: PaidCall, response: Response): Promise<Response> {
  await readSettlement(call, response);
  const contentType = response.headers.get('content-type') ?? '';
  const { streamIdleTimeoutMs: idle, clock } = call.ctx;
  if (contentType.includes('text/event-stream') && response.body) {
    call.stopTimeout(); // from here the idle timer watches the stream
    const balance = balanceFromHeaders(response.headers);
    const body = tapSse(
      response.body,
      (outcome) => settleOrRelease(call, settleStream(call, outcome, balance)),
      idle,
      clock,
    );
    // What is known when the stream starts (cost comes in its last frame): balance, payment, request id.
    const known: Record<string, string> = {};
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
    await call.release(); // nothing held: frees the slot and timer, settles as free
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
    // Cut while reading: a paid-per-call answer is spent; a Venice answer stays counted until reconciled.
    const paid = paidMicros(call);
    if (paid !== undefined)
      await call.commit(paid, {
        model: call.model,
        source: 'payment',
        note: 'body lost after payment',
      });
    else await call.release('answer cut while its body was read: counted until reconciled');
    throw new NetworkError(`Response body of ${call.info.route} was cut`, { cause: error });
  }
  if (!(buffer instanceof Uint8Array)) {
    call.stopTimeout();
    const body = tapLargeJson(
      buffer,
      (facts, cut) => settleOrRelease(call, settleFacts(call, response, facts, cut)),
      idle,
      clock,
    );
    return rebuild(response, body);
  }
  const parsed = contentType.includes('json') ? parseJson(buffer) : undefined;
  const facts = parsed !== undefined ? factsFromJson(parsed) : {};
  const settled = await settleOrRelease(call, settleFacts(call, response, facts, false));
  const headers = new Headers(response.headers);
  for (const h of STRIP_ON_REBUILD) headers.delete(h);
  if (settled) {
    headers.set(OUTCOME_HEADERS.costUsd, formatUsd(settled.cost));
    if (settled.balance !== undefined) headers.set(OUTCOME_HEADERS.balanceUsd, formatUsd(settled.balance));
    if (settled.requestId) headers.set(OUTCOME_HEADERS.requestId, settled.requestId);
    if (settled.remainingUsd !== undefined)
      headers.set(OUTCOME_HEADERS.budgetRemainingUsd, String(settled.remainingUsd));
  }
  const tx = call.paymentTx ?? call.topUpTx;
  if (tx) headers.set(OUTCOME_HEADERS.paymentTx, tx);
  const cap = autoMaxTokensOf(call);
  if (cap !== undefined) headers.set(OUTCOME_HEADERS.maxTokens, String(cap));
  return new SettledResponse(
    buffer,
    parsed,
    { status: response.status, statusText: response.statusText, headers },
    response.url,
  );
}

/**
 * Settling that fails (a pricing lookup that throws, say) never loses the paid answer nor leaves its call open: the
 * call still ends, counted at its hold, ambiguous, and its in-flight slot is freed. Undefined then.
 */
async function settleOrRelease<T>(call: PaidCall, settling: Promise<T>): Promise<T | undefined> {
  try {
    return await settling;
  } catch (error) {
    await call.release(
      `the answer could not be settled (${String((error as Error)?.message).slice(0, 120)}): counted until reconciled`,
    );
    return undefined;
  }
}

/** Settles a complete (or, `cut`, incomplete) JSON answer; undefined when it was left counted as ambiguous. */
async function settleFacts(call: PaidCall, response: Response, facts: BodyFacts, cut: boolean) {
  const held = call.reservation;
  if (!held) return undefined;
  const requestId = facts.requestId ?? response.headers.get('x-request-id') ?? undefined;
  if (cut && !call.payment) {
    await call.release('answer cut before its end: counted until reconciled', requestId);
    return undefined;
  }
  const unsettled = unsettledNote(call);
  if (unsettled) {
    await call.release(unsettled, requestId);
    return undefined;
  }
  const cost = await actualCost(
    call.ctx.estimator,
    held,
    facts,
    { model: call.model, paygMicros: paidMicros(call) },
    call.info.json,
  );
  const balance = balanceFromHeaders(response.headers);
  const outcome = await call.commit(cost.micros, {
    requestId,
    model: facts.model ?? call.model,
    source: cost.source,
    balanceMicros: balance,
    note: cut ? 'body cut before its end' : undefined,
  });
  if (outcome?.ambiguous) return undefined; // a cost past belief: the budget kept the hold, ambiguous
  return { cost: cost.micros, balance, requestId, remainingUsd: outcome?.remainingUsd };
}

/**
 * Settles a stream at its end. Pay-per-call: the payment. Complete: `cost`, else usage × price. Cut (by the
 * server, the idle timer or the caller): Venice may bill the whole generation, so the hold stays counted as
 * ambiguous until reconciled (the note gives the partial estimate). `balanceAtStart` was read before the charge.
 */
async function settleStream(call: PaidCall, outcome: SseOutcome, balanceAtStart: Micros | undefined) {
  const held = call.reservation;
  if (!held) return call.release();
  const unsettled = unsettledNote(call);
  if (unsettled) return call.release(unsettled, outcome.requestId);
  const facts = { model: call.model, paygMicros: paidMicros(call) };
  if (outcome.unreadLine && facts.paygMicros === undefined) {
    return call.release(
      `stream sent a line over ${MAX_SSE_LINE_CHARS / 1024 / 1024} MiB, passed on but not read for usage: counted at the hold until reconciled`,
      outcome.requestId,
    );
  }
  if (outcome.cut && facts.paygMicros === undefined) {
    const promptTokens = promptTokensOf(call.info.json);
    const partial = await partialCost(call.ctx.estimator, held, outcome, { ...facts, promptTokens });
    return call.release(
      `stream cut after ${outcome.streamedTokens} tokens (≈ $${formatUsd(partial)} produced): counted at the hold until reconciled`,
      outcome.requestId,
    );
  }
  const cost = await actualCost(call.ctx.estimator, held, outcome, facts, undefined);
  const balance =
    balanceAtStart === undefined ? undefined : balanceAtStart > cost.micros ? balanceAtStart - cost.micros : 0n;
  await call.commit(cost.micros, {
    requestId: outcome.requestId,
    model: outcome.model ?? call.model,
    source: cost.source,
    balanceMicros: balance,
    note: outcome.error,
  });
}

/**
 * Reads a body whole if it fits in `limit` bytes; otherwise returns a stream that replays what was read
 * and continues with the rest, so a huge body is never held in memory.
 */
export async function readUpTo(response: Response, limit: number): Promise<Uint8Array | ReadableStream<Uint8Array>> {
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
