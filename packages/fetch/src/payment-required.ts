import { type PaymentRequired, PaymentRequiredError, type TopUpHint } from '@venice-x402/core';
import { errorText, findSiwxChallenge, readJson } from '@venice-x402/core/internal';
import { fail, resend, type Step } from './answers.js';
import { approvalRefusal } from './approval-refusal.js';
import { disputeOf, disputePayee } from './disputes.js';
import type { PaidCall } from './paid-call.js';
import { chooseRequirement, isVeniceChallenge, readQuote, signFor } from './payg.js';
import { quoteKey } from './reserve.js';

/**
 * A 402. Venice: bounded, single-flight auto top-up, then one retry (its limit: one top-up per call).
 * Pay-per-call: validate the quote, hold its amount, sign, retry (its limit: a payment the server refused is
 * never followed by another, except one re-quote of a remembered quote).
 */
export async function paymentRequired(call: PaidCall, url: URL, response: Response): Promise<Step> {
  const { ctx } = call;
  const body = await readJson(response);
  call.endAttempt();
  if (ctx.venice && (ctx.mode === 'venice' || isVeniceChallenge(body))) return topUpAndRetry(call, url, body);

  const { wallet, budget } = ctx;
  const route = call.info.route;
  if (!wallet) return fail(new PaymentRequiredError('Payment required: no wallet to pay with', { details: { route } }));
  if (call.paymentSent) {
    // Our payment was delivered and the server still asks. It may have kept it: keep it counted.
    const approval = await approvalRefusal(call, response, body);
    if (approval) {
      // Not the payee's fault; the signed permit could still settle if Permit2 is approved before its deadline.
      await call.setAsideSentPayment('Permit2 approval missing: counted until the permit expires or is reconciled');
      return fail(approval);
    }
    if (call.payment?.fromCache) {
      await call.setAsideSentPayment('remembered quote refused: counted until reconciled');
    } else {
      disputePayee(budget, url.origin, `answered 402 after a payment: ${errorText(body, '402')}`);
      return fail(
        new PaymentRequiredError(`Payment refused by the server: ${errorText(body, '402')}`, {
          details: { route, origin: url.origin, disputed: true },
        }),
      );
    }
  }
  const quoteKey = ctx.quotes?.key(url, call.model);
  try {
    const quote = readQuote(response, body);
    await preparePayment(call, url, quote, false);
    if (ctx.quotes && quoteKey) ctx.quotes.set(quoteKey, quote);
  } catch (error) {
    if (ctx.quotes && quoteKey) ctx.quotes.delete(quoteKey);
    return fail(error);
  }
  return resend;
}

/**
 * Pay-per-call: check the payee, the quote and the budget, then sign. Nothing is signed that any of them
 * refuses, and the hold covers the quoted amount before the signature exists.
 */
export async function preparePayment(call: PaidCall, url: URL, quote: PaymentRequired, fromCache: boolean) {
  const { ctx } = call;
  const dispute = disputeOf(ctx.budget, url.origin);
  if (dispute) {
    throw new PaymentRequiredError(`Not paying ${url.origin}: it ${dispute} (clearDisputedPayee to allow it again)`, {
      details: { origin: url.origin, disputed: true },
    });
  }
  const requirement = chooseRequirement(quote, ctx.budget.signingPolicy, ctx.wallet!.kind);
  const key = quoteKey(url, call.info.route, call.model);
  if (ctx.lastQuoted.size > 10_000 && !ctx.lastQuoted.has(key)) ctx.lastQuoted.clear();
  ctx.lastQuoted.set(key, requirement.amountMicros);
  const held = call.reservation?.amountMicros;
  if (held === undefined || requirement.amountMicros > held) {
    if (fromCache && held !== undefined) return false;
    await call.hold(requirement.amountMicros);
  }
  const signed = await signFor(ctx.wallet!, quote, requirement);
  call.payment = {
    name: signed.headerName,
    value: signed.header,
    amountMicros: signed.amountMicros,
    fromCache,
    scheme: signed.scheme,
    requirement,
  };
  call.paymentSent = false;
  return true;
}

async function topUpAndRetry(call: PaidCall, url: URL, body: unknown): Promise<Step> {
  const { wallet, budget } = call.ctx;
  const route = call.info.route;
  const challenge = findSiwxChallenge(body);
  if (challenge && wallet) wallet.applySignInChallenge(challenge, url);
  const hint = topUpHint(body);
  if (!wallet || call.toppedUp || (body as any)?.code !== 'PAYMENT_REQUIRED') {
    const message = !wallet
      ? 'Payment required: no wallet to pay with'
      : call.toppedUp
        ? 'Still 402 after topping up'
        : errorText(body, 'Payment required');
    return fail(new PaymentRequiredError(message, { topUp: hint, details: { route } }));
  }
  try {
    await budget.topUpGate(call.startedAt, async (amountUsd) => {
      const r = await wallet.topUp(amountUsd);
      // The call that topped up reports the top-up's transaction as its payment (adapters' `paymentTx`).
      call.topUpTx = r.transaction;
      return { amountUsd: r.amountUsd, transaction: r.transaction, newBalanceUsd: r.newBalanceUsd };
    });
  } catch (error) {
    if (error instanceof PaymentRequiredError) {
      return fail(new PaymentRequiredError(error.message, { topUp: hint, details: { ...error.details, route } }));
    }
    return fail(error);
  }
  call.toppedUp = true;
  return resend;
}

function topUpHint(body: unknown): TopUpHint {
  const b = (body ?? {}) as Record<string, any>;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  return {
    currentBalanceUsd: n(b.currentBalanceUsd),
    minimumBalanceUsd: n(b.minimumBalanceUsd),
    suggestedTopUpUsd: n(b.suggestedTopUpUsd),
    minimumTopUpUsd: n(b.minimumTopUpUsd),
    receiverWallet:
      typeof b.topUpInstructions?.receiverWallet === 'string' ? b.topUpInstructions.receiverWallet : undefined,
    network: typeof b.topUpInstructions?.network === 'string' ? b.topUpInstructions.network : undefined,
  };
}
