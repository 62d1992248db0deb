/**
 * `PaidCall`, the one owner of a paid call's hold, slot and timers, driven directly with a real budget and a manual
 * clock. What it settles decides what the budget counts: a hold released when a payment went out lets the agent
 * spend that money again; a hold kept when nothing moved starves it; an outcome that misstates the cost misleads
 * every adapter that reads it.
 */
import { createBudget, type Micros } from '@venice-x402/core';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../test/manual-clock.js';
import { classify } from '../src/classify.js';
import { createContext } from '../src/options.js';
import { PaidCall, type Payment } from '../src/paid-call.js';
import { readRequest } from '../src/request.js';

const BASE = 'https://api.venice.ai/api/v1';
const GATEWAY = 'https://gateway.example';

async function paidCall(limitUsd = 1, payg = false) {
  const clock = new ManualClock();
  const budget = createBudget({ limits: { totalUsd: limitUsd } }, { now: clock.now });
  const ctx = payg
    ? createContext({ mode: 'payg', payOrigins: [GATEWAY], budget, clock })
    : createContext({ baseURL: BASE, apiKey: 'test-key', budget, clock });
  const url = payg ? `${GATEWAY}/paid` : `${BASE}/chat/completions`;
  const request = await readRequest(url, { method: 'POST', body: '{"model":"m"}' });
  const call = new PaidCall(ctx, request, classify(ctx, request)!);
  const remaining = () => budget.remaining();
  const holds = () => budget.store.holds!(Date.now());
  return { call, budget, clock, remaining, holds };
}

const payment = (amountMicros: Micros): Payment => ({
  name: 'X-PAYMENT',
  value: 'signed',
  amountMicros,
  fromCache: false,
});

describe('PaidCall', () => {
  it('a larger hold replaces the smaller one: one hold at a time, the old one freed', async () => {
    const { call, remaining, holds } = await paidCall();
    await call.hold(100_000n);
    await call.hold(300_000n);
    expect((await holds()).map((h) => h.micros)).toEqual([300_000n]);
    expect(await remaining()).toBe(0.7);
    await call.release();
    expect(await remaining()).toBe(1);
    expect(await call.settled).toEqual({ status: 'free', costUsd: 0 });
  });

  it('commit settles the actual cost once and says so in the outcome', async () => {
    const { call, remaining } = await paidCall();
    await call.hold(300_000n);
    call.paymentTx = '0xtx';
    const outcome = await call.commit(120_000n, { requestId: 'req-1', balanceMicros: 4_500_000n });
    expect(outcome).toMatchObject({ remainingUsd: 0.88 });
    expect(await call.commit(120_000n, {})).toBeUndefined();
    await call.release();
    expect(await remaining()).toBe(0.88);
    expect(await call.settled).toEqual({
      status: 'charged',
      costUsd: 0.12,
      balanceRemainingUsd: 4.5,
      budgetRemainingUsd: 0.88,
      paymentTx: '0xtx',
      requestId: 'req-1',
    });
  });

  it('an auto top-up’s transaction is reported when no payment of the call’s own went out', async () => {
    const { call } = await paidCall();
    await call.hold(10n);
    call.topUpTx = '0xtopup';
    await call.commit(10n, {});
    expect(await call.settled).toMatchObject({ paymentTx: '0xtopup' });
    expect(await call.settled).not.toHaveProperty('balanceRemainingUsd');
  });

  it('with no hold at all, the call is free whichever way it ends', async () => {
    const { call } = await paidCall();
    expect(await call.commit(5n, {})).toBeUndefined();
    expect(await call.settled).toEqual({ status: 'free', costUsd: 0 });
  });

  it('a payment that went out keeps the lesser of it and the hold counted (ambiguous), not released', async () => {
    const small = await paidCall();
    await small.call.hold(300_000n);
    small.call.payment = payment(50_000n);
    small.call.beginAttempt(() => {}, undefined);
    await small.call.release();
    expect(await small.call.settled).toEqual({ status: 'ambiguous', costUsd: 0.05 });
    expect(await small.remaining()).toBe(0.95);

    const large = await paidCall();
    await large.call.hold(300_000n);
    large.call.payment = payment(900_000n);
    large.call.beginAttempt(() => {}, undefined);
    await large.call.release('why');
    expect(await large.call.settled).toEqual({ status: 'ambiguous', costUsd: 0.3 });
  });

  it('a signed payment not yet sent is released; one sent, then set aside, stays counted apart', async () => {
    const unsent = await paidCall();
    await unsent.call.hold(300_000n);
    unsent.call.payment = payment(50_000n);
    await unsent.call.release();
    expect(await unsent.call.settled).toEqual({ status: 'free', costUsd: 0 });
    expect(await unsent.remaining()).toBe(1);

    const { call, remaining } = await paidCall();
    await call.hold(300_000n);
    call.payment = payment(50_000n);
    call.beginAttempt(() => {}, undefined);
    await call.setAsideSentPayment('the server asked again');
    expect(call.payment).toBeUndefined();
    expect(call.paymentSent).toBe(false);
    expect(call.reservation).toBeUndefined();
    expect(await remaining()).toBe(0.95);
  });

  it('each attempt frees the previous one’s slot and timer, once; the last is freed when the call ends', async () => {
    const { call, clock } = await paidCall();
    await call.hold(10n);
    const freed: number[] = [];
    let fired = 0;
    call.beginAttempt(
      () => freed.push(1),
      clock.setTimeout(() => fired++, 1_000),
    );
    call.beginAttempt(
      () => freed.push(2),
      clock.setTimeout(() => fired++, 1_000),
    );
    expect(freed).toEqual([1]);
    call.stopTimeout();
    call.endAttempt();
    call.endAttempt();
    expect(freed).toEqual([1, 2]);
    clock.advance(5_000);
    expect(fired).toBe(0);
    call.beginAttempt(() => freed.push(3), undefined);
    call.notBilled(); // the server answered with something it does not bill
    await call.fail(new Error('boom')).catch((e) => expect(e.message).toBe('boom'));
    expect(freed).toEqual([1, 2, 3]);
    expect(await call.settled).toEqual({ status: 'free', costUsd: 0 });
  });

  it('a pay-per-call request sent without a payment and left unanswered is not billed: released', async () => {
    const { call, remaining } = await paidCall(1, true);
    await call.hold(20_000n);
    call.beginAttempt(() => {}, undefined);
    await call.release();
    expect(await call.settled).toEqual({ status: 'free', costUsd: 0 });
    expect(await remaining()).toBe(1);
  });

  it('a request Venice bills on receipt, sent with no complete answer, stays counted at its hold', async () => {
    const { call, remaining } = await paidCall();
    await call.hold(20_000n);
    call.beginAttempt(() => {}, undefined);
    await call.release();
    expect(await call.settled).toEqual({ status: 'ambiguous', costUsd: 0.02 });
    expect(await remaining()).toBe(0.98);
  });

  it('renews its hold every third of the TTL while it runs, and stops once settled', async () => {
    const { call, clock, holds } = await paidCall();
    const t0 = clock.now();
    const expiry = async () => (await holds())[0]?.expiresAt;
    await call.hold(10n);
    expect(await expiry()).toBe(t0 + 600_000);
    clock.advance(199_999);
    await Promise.resolve();
    expect(await expiry()).toBe(t0 + 600_000);
    clock.advance(1);
    await expect.poll(expiry).toBe(t0 + 800_000);
    clock.advance(200_000);
    await expect.poll(expiry).toBe(t0 + 1_000_000);
    await call.commit(10n, {});
    clock.advance(200_000);
    expect(await holds()).toEqual([]);
  });
});
