import { createKeyPairSignerFromBytes } from '@solana/kit';
import { createWallet, QuoteRejectedError, SOLANA_NETWORK, type SolanaWallet, TopUpError } from '@venice-x402/core';
import { memoryPayeePins } from '@venice-x402/core/internal';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileDiscovery, refusalReasons } from './hostile-fetch.js';
import { newSolanaKey } from './keys.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ solana: true, rateLimits: false });
});
afterAll(() => sim?.stop());

/** A Solana wallet whose kit signer counts the transactions it signs. */
async function countingWallet(options: Parameters<typeof createWallet>[1] = {}) {
  const key = newSolanaKey();
  const kit = await createKeyPairSignerFromBytes(key.secret);
  const counter = { transactions: 0 };
  const solanaSigner = {
    address: kit.address,
    signMessages: kit.signMessages,
    signTransactions: (txs: Parameters<typeof kit.signTransactions>[0]) => {
      counter.transactions += txs.length;
      return kit.signTransactions(txs);
    },
  };
  const wallet: SolanaWallet = createWallet(
    { solanaSigner },
    { baseURL: sim.baseURL, solanaRpcUrl: sim.solanaRpcUrl, ...options },
  );
  return { wallet, counter, key };
}

describe('Solana top-up on litesvm', () => {
  it('moves USDC on the SVM through the facilitator and credits the Venice balance once', async () => {
    const { wallet, counter } = await countingWallet();
    await sim.fundSolana(wallet.address, 50);
    const payToBefore = await sim.solanaUsdcBalance(sim.solana!.payTo);
    const feePayerLamports = sim.solana!.svm.getBalance(sim.solana!.feePayer.address)!;

    const quote = await wallet.topUpQuote();
    expect(quote).toMatchObject({ network: SOLANA_NETWORK, payTo: sim.solana!.payTo, minimumUsd: 5, pinned: false });
    const result = await wallet.topUp(10);
    expect(result).toMatchObject({ amountUsd: 10, newBalanceUsd: 10, network: SOLANA_NETWORK });
    expect(counter.transactions).toBe(1);
    // Real execution: the transaction is recorded by the VM, tokens moved, the fee payer paid the fee.
    expect(sim.solana!.status(result.transaction!)).toEqual({ ok: true });
    expect(await sim.solanaUsdcBalance(wallet.address)).toBe(40_000_000n);
    expect((await sim.solanaUsdcBalance(sim.solana!.payTo)) - payToBefore).toBe(10_000_000n);
    expect(sim.solana!.svm.getBalance(sim.solana!.feePayer.address)!).toBeLessThan(feePayerLamports);
    expect(sim.solana!.svm.getBalance(wallet.address as never) ?? 0n).toBe(0n); // the payer holds no SOL at all

    expect(await wallet.balance()).toMatchObject({ balanceUsd: 10, walletAddress: wallet.address });
    const page = await wallet.transactions();
    expect(page.transactions.map((t) => [t.type, t.amount])).toEqual([['TOP_UP', 10]]);
    expect(sim.ledger.balance(wallet.address)).toBe(10_000_000n);
    expect(sim.ledger.balance(wallet.address.toLowerCase())).toBe(0n); // base58 is case-sensitive
  });

  it('credits a replayed payment once and refuses a tampered one', async () => {
    const seen: { name: string; value: string }[] = [];
    const { wallet } = await countingWallet({
      fetch: async (input, init) => {
        const headers = new Headers(init?.headers);
        const value = headers.get('x-402-payment') ?? headers.get('payment-signature');
        if (value) seen.push({ name: headers.has('x-402-payment') ? 'X-402-Payment' : 'PAYMENT-SIGNATURE', value });
        return fetch(input, init);
      },
    });
    await sim.fundSolana(wallet.address, 20);
    await wallet.topUp(5);
    expect(seen).toHaveLength(1);
    const url = `${sim.baseURL}/x402/top-up`;
    for (const name of ['PAYMENT-SIGNATURE', 'X-402-Payment', 'X-PAYMENT']) {
      const again = await fetch(url, { method: 'POST', headers: { [name]: seen[0]!.value } });
      expect(again.status).toBe(200);
    }
    expect(sim.ledger.balance(wallet.address)).toBe(5_000_000n);
    expect(await sim.solanaUsdcBalance(wallet.address)).toBe(15_000_000n);

    // Same payment, amount raised from 5 to 6 USDC inside the signed message: the payer's signature breaks.
    const payload = JSON.parse(Buffer.from(seen[0]!.value, 'base64').toString());
    const tx = Buffer.from(payload.payload.transaction, 'base64');
    const five = Buffer.alloc(9);
    five.writeBigUInt64LE(5_000_000n);
    five[8] = 6; // TransferChecked: amount (u64 LE), decimals
    const at = tx.indexOf(five);
    expect(at).toBeGreaterThan(0);
    tx.writeBigUInt64LE(6_000_000n, at);
    payload.payload.transaction = tx.toString('base64');
    const tampered = await fetch(url, {
      method: 'POST',
      headers: { 'X-402-Payment': Buffer.from(JSON.stringify(payload)).toString('base64') },
    });
    expect(tampered.status).toBe(400);
    expect(await tampered.json()).toMatchObject({ error: 'INVALID_PAYMENT_PAYER' });
    expect(sim.ledger.balance(wallet.address)).toBe(5_000_000n);
    expect(await sim.solanaUsdcBalance(wallet.address)).toBe(15_000_000n);
  });

  it('fails cleanly when the wallet has no USDC: nothing credited, a typed error', async () => {
    const { wallet } = await countingWallet();
    await sim.fundSolana(wallet.address, 0); // a token account, but empty
    const error = await wallet.topUp(5).catch((e) => e);
    expect(error).toBeInstanceOf(TopUpError);
    expect(error).toMatchObject({ status: 400, details: { serverCode: 'PAYMENT_VERIFICATION_FAILED' } });
    expect(sim.ledger.balance(wallet.address)).toBe(0n);
  });

  describe('refuses hostile Solana quotes before signing anything', () => {
    const cases: [string, (entry: Record<string, any>) => void, string][] = [
      ['wrong mint', (e) => void (e.asset = 'Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB'), 'asset'],
      ['wrong network (devnet)', (e) => void (e.network = 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1'), 'network'],
      ['unknown network', (e) => void (e.network = 'solana-devnet'), 'network'],
      ['absurd minimum', (e) => void (e.amount = '1000000000000'), 'amount'],
      ['year-long validity', (e) => void (e.maxTimeoutSeconds = 31_536_000), 'timeout'],
      ['no fee payer', (e) => void delete e.extra.feePayer, 'malformed'],
      ['payee that is not an address', (e) => void (e.payTo = '0x000000000000000000000000000000000000dEaD'), 'payee'],
    ];
    for (const [name, mutate, reason] of cases) {
      it(name, async () => {
        const hostile = hostileDiscovery(mutate);
        const { wallet, counter } = await countingWallet({ fetch: hostile.fetch });
        await sim.fundSolana(wallet.address, 20);
        const error = await wallet.topUp(10).catch((e) => e);
        expect(error).toBeInstanceOf(QuoteRejectedError);
        expect(refusalReasons(error)).toContain(reason);
        expect(counter.transactions).toBe(0);
        expect(hostile.paymentsSent).toEqual([]);
        expect(await sim.solanaUsdcBalance(wallet.address)).toBe(20_000_000n);
      });
    }

    it('a payee other than the pinned one, or off the allow-list', async () => {
      const pins = memoryPayeePins();
      const first = await countingWallet({ payeePins: pins });
      await sim.fundSolana(first.wallet.address, 20);
      await first.wallet.topUp(5); // pins the simulator's receiver
      const stranger = newSolanaKey().address;
      const hostile = hostileDiscovery((e) => void (e.payTo = stranger));
      const second = await countingWallet({ payeePins: pins, fetch: hostile.fetch });
      await sim.fundSolana(second.wallet.address, 20);
      const changed = await second.wallet.topUp(5).catch((e) => e);
      expect(changed).toBeInstanceOf(QuoteRejectedError);
      expect(changed.reason).toBe('payee_changed');
      expect(changed.message).toContain(sim.solana!.payTo); // the pin is shown as the address it names
      const listed = await countingWallet({ fetch: hostile.fetch, signingPolicy: { payees: [sim.solana!.payTo] } });
      expect(refusalReasons(await listed.wallet.topUp(5).catch((e) => e))).toContain('payee');
      for (const w of [second, listed]) expect(w.counter.transactions).toBe(0);
      expect(hostile.paymentsSent).toEqual([]);
    });

    it('a quote naming the wallet itself as fee payer', async () => {
      let self = '';
      const hostile = hostileDiscovery((e) => void (e.extra.feePayer = self));
      const { wallet, counter } = await countingWallet({ fetch: hostile.fetch });
      self = wallet.address;
      await sim.fundSolana(wallet.address, 20);
      const error = await wallet.topUp(5).catch((e) => e);
      expect(error).toBeInstanceOf(QuoteRejectedError);
      expect(counter.transactions).toBe(0);
      expect(hostile.paymentsSent).toEqual([]);
    });
  });
});
