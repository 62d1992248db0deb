/**
 * What a pay-per-call answer's receipt (`PAYMENT-RESPONSE`) makes the call cost. An `upto` payment authorizes a
 * maximum and the server settles what was used: a receipt read wrongly commits less than moved (the agent spends
 * the difference again) or trusts an amount above what was authorized.
 */
import { createBudget } from '@venice-x402/core';
import { describe, expect, it } from 'vitest';
import { classify } from '../src/classify.js';
import { disputedPayees } from '../src/disputes.js';
import { createContext } from '../src/options.js';
import { PaidCall, type Payment } from '../src/paid-call.js';
import { readRequest } from '../src/request.js';
import { paidMicros, readSettlement, unsettledNote } from '../src/settled-amount.js';

const GATEWAY = 'https://gateway.example';
const receipt = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64');
const answer = (paymentResponse?: string) =>
  new Response('{}', { headers: paymentResponse === undefined ? {} : { 'PAYMENT-RESPONSE': paymentResponse } });
const settled = (extra: object = {}) =>
  receipt({ success: true, transaction: '0xtx', network: 'eip155:8453', payer: '0xpayer', ...extra });

async function call(scheme?: 'exact' | 'upto') {
  const budget = createBudget({});
  const ctx = createContext({ mode: 'payg', payOrigins: [GATEWAY], budget });
  const request = await readRequest(`${GATEWAY}/paid`, {});
  const paid = new PaidCall(ctx, request, classify(ctx, request)!);
  if (scheme) {
    const payment: Payment = { name: 'PAYMENT-SIGNATURE', value: 'signed', amountMicros: 5_000n, fromCache: false };
    paid.payment = scheme === 'upto' ? { ...payment, scheme } : payment;
  }
  return { paid, budget };
}

describe('readSettlement / paidMicros / unsettledNote', () => {
  it('an exact payment costs its amount, and its transaction is recorded', async () => {
    const { paid } = await call('exact');
    await readSettlement(paid, answer(settled({ amount: '10' })));
    expect(paid.paymentTx).toBe('0xtx');
    expect(paid.payment?.settled).toBeUndefined();
    expect(paidMicros(paid)).toBe(5_000n);
    expect(unsettledNote(paid)).toBeUndefined();
  });

  it('no payment: nothing read, nothing paid', async () => {
    const { paid } = await call();
    await readSettlement(paid, answer(settled()));
    expect(paid.paymentTx).toBeUndefined();
    expect(paidMicros(paid)).toBeUndefined();
    expect(unsettledNote(paid)).toBeUndefined();
  });

  it('an upto payment costs a settlement of its whole maximum; a lower claim leaves the maximum counted', async () => {
    const { paid } = await call('upto');
    expect(unsettledNote(paid)).toBe(
      'upto payment: no settlement read; the authorized maximum is counted until reconciled',
    );
    await readSettlement(paid, answer(settled({ amount: '5000' })));
    expect(paid.payment?.settled).toEqual({ status: 'settled', micros: 5_000n });
    expect(paidMicros(paid)).toBe(5_000n);
    expect(unsettledNote(paid)).toBeUndefined();
    const claimed = await call('upto');
    await readSettlement(claimed.paid, answer(settled({ amount: '1234' })));
    expect(claimed.paid.payment?.settled).toMatchObject({ status: 'unknown', claimedMicros: 1_234n });
    expect(paidMicros(claimed.paid)).toBeUndefined();
    expect(unsettledNote(claimed.paid)).toMatch(/receipt claims \$0\.001234 of the \$/);
  });

  it('an upto settlement above the maximum counts the maximum and disputes the payee', async () => {
    const { paid, budget } = await call('upto');
    await readSettlement(paid, answer(settled({ amount: '5001' })));
    expect(paid.payment?.settled).toEqual({ status: 'overcharged', micros: 5_000n, claimed: '5001' });
    expect(paidMicros(paid)).toBe(5_000n);
    expect([...disputedPayees(budget).keys()]).toEqual([GATEWAY]);
    const exact = await call('upto');
    await readSettlement(exact.paid, answer(settled({ amount: '5000' })));
    expect(paidMicros(exact.paid)).toBe(5_000n);
    expect(disputedPayees(exact.budget).size).toBe(0);
  });

  it('no usable receipt leaves the maximum counted, saying why', async () => {
    const cases: [string | undefined, string][] = [
      ['%%%', 'PAYMENT-RESPONSE is not a valid receipt'],
      [undefined, 'no PAYMENT-RESPONSE came back'],
      [settled({ success: false, amount: '10' }), 'PAYMENT-RESPONSE reports no successful settlement'],
      [settled(), 'PAYMENT-RESPONSE carries no settled amount'],
      [settled({ amount: '1.5' }), 'PAYMENT-RESPONSE carries no settled amount'],
    ];
    for (const [header, why] of cases) {
      const { paid } = await call('upto');
      await readSettlement(paid, answer(header));
      const note = `upto payment: ${why}; the authorized maximum is counted until reconciled`;
      expect(paid.payment?.settled, why).toEqual({ status: 'unknown', note });
      expect(paidMicros(paid)).toBeUndefined();
      expect(unsettledNote(paid)).toBe(note);
    }
  });

  it('a garbled receipt or one without a transaction records none', async () => {
    for (const header of ['%%%', settled({ transaction: '' }), settled({ transaction: 5 })]) {
      const { paid } = await call('exact');
      paid.paymentTx = 'stale';
      await readSettlement(paid, answer(header));
      expect(paid.paymentTx).toBeUndefined();
    }
  });
});
