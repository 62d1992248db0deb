import { ExactEvmScheme } from '@x402/evm/exact/client';
import { UptoEvmScheme } from '@x402/evm/upto/client';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { decode } from './independent-client.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ mode: 'payg' });
});
afterAll(() => sim.stop());

async function pay(account: ReturnType<typeof privateKeyToAccount>, quote: any) {
  const requirements = quote.accepts[0];
  const result = await new ExactEvmScheme(account).createPaymentPayload(2, requirements);
  return Buffer.from(JSON.stringify({ x402Version: 2, accepted: requirements, payload: result.payload })).toString(
    'base64',
  );
}

describe('simulator: pay-per-call gateway', () => {
  const body = { model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] };
  const call = (headers: Record<string, string> = {}) =>
    fetch(`${sim.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('quotes with PAYMENT-REQUIRED, accepts a signed payment, answers with PAYMENT-RESPONSE', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    await sim.fund(account.address, 1);
    const probe = await call();
    expect(probe.status).toBe(402);
    const quote = decode(probe.headers.get('payment-required'));
    expect(quote).toMatchObject({ x402Version: 2, accepts: [{ scheme: 'exact', network: 'eip155:8453' }] });
    const payment = await pay(account, quote);
    const paid = await call({ 'PAYMENT-SIGNATURE': payment });
    expect(paid.status).toBe(200);
    expect((await paid.json()).content[0].type).toBe('text');
    expect(decode(paid.headers.get('payment-response'))).toMatchObject({ success: true, payer: account.address });
    expect(await sim.usdcBalance(account.address)).toBe(1_000_000n - BigInt(quote.accepts[0].amount));

    const replay = await call({ 'PAYMENT-SIGNATURE': payment });
    expect(replay.status).toBe(402); // a spent authorization buys nothing twice
  });

  it('refuses an underpayment', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    await sim.fund(account.address, 1);
    const quote = decode((await call()).headers.get('payment-required'));
    quote.accepts[0].amount = '1';
    expect((await call({ 'PAYMENT-SIGNATURE': await pay(account, quote) })).status).toBe(402);
  });
});

describe('simulator: pay-per-call gateway with upto and exact over Permit2', () => {
  let permit2Sim: Simulator;
  beforeAll(async () => {
    permit2Sim = await startSimulator({ mode: 'payg', paygSchemes: ['upto', 'exact', 'exact-permit2'] });
  });
  afterAll(() => permit2Sim.stop());

  const body = { model: 'llama-3.3-70b', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };
  const call = (headers: Record<string, string> = {}) =>
    fetch(`${permit2Sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  /** Signs `option` with @x402/evm's own clients (no code of ours), optionally altering the signed authorization. */
  async function payPermit2(
    account: ReturnType<typeof privateKeyToAccount>,
    option: any,
    alter: (auth: any) => void = () => {},
  ) {
    const scheme = option.scheme === 'upto' ? new UptoEvmScheme(account) : new ExactEvmScheme(account);
    const result = await scheme.createPaymentPayload(2, option);
    alter((result.payload as any).permit2Authorization);
    return Buffer.from(JSON.stringify({ x402Version: 2, accepted: option, payload: result.payload })).toString(
      'base64',
    );
  }

  async function funded() {
    const account = privateKeyToAccount(generatePrivateKey());
    await permit2Sim.fund(account.address, 1);
    await permit2Sim.approvePermit2(account.address);
    return account;
  }

  async function options() {
    const quote = decode((await call()).headers.get('payment-required'));
    const [upto, exact, exactPermit2] = quote.accepts;
    return { upto, exact, exactPermit2 };
  }

  it('quotes upto (Permit2, naming its facilitator), exact and exact over Permit2 at the same amount', async () => {
    const { upto, exact, exactPermit2 } = await options();
    expect(upto).toMatchObject({
      scheme: 'upto',
      extra: { assetTransferMethod: 'permit2', facilitatorAddress: permit2Sim.facilitator },
    });
    expect(exact).toMatchObject({ scheme: 'exact', extra: { name: 'USD Coin', version: '2' } });
    expect(exactPermit2).toMatchObject({ scheme: 'exact', extra: { assetTransferMethod: 'permit2' } });
    expect(new Set([upto.amount, exact.amount, exactPermit2.amount]).size).toBe(1);
  });

  it('settles an upto payment at the usage, below the maximum, and says how much in PAYMENT-RESPONSE', async () => {
    const account = await funded();
    const { upto } = await options();
    const payment = await payPermit2(account, upto);
    const paid = await call({ 'PAYMENT-SIGNATURE': payment });
    expect(paid.status).toBe(200);
    const answer = await paid.json();
    const receipt = decode(paid.headers.get('payment-response'));
    const settled = BigInt(receipt.amount);
    expect(settled).toBeGreaterThan(0n);
    expect(settled).toBeLessThan(BigInt(upto.amount));
    expect(settled).toBe(BigInt(Math.round(answer.cost.usd * 1e6))); // tokens × price
    expect(await permit2Sim.usdcBalance(account.address)).toBe(1_000_000n - settled);
    expect(permit2Sim.ledger.paygPayments.at(-1)).toMatchObject({ payer: account.address, amountMicros: settled });
    expect((await call({ 'PAYMENT-SIGNATURE': payment })).status).toBe(402); // a Permit2 nonce spends once
  });

  it('settles exact over Permit2 at the quoted amount', async () => {
    const account = await funded();
    const { exactPermit2 } = await options();
    const paid = await call({ 'PAYMENT-SIGNATURE': await payPermit2(account, exactPermit2) });
    expect(paid.status).toBe(200);
    expect(decode(paid.headers.get('payment-response')).amount).toBeUndefined();
    expect(await permit2Sim.usdcBalance(account.address)).toBe(1_000_000n - BigInt(exactPermit2.amount));
  });

  it('refuses Permit2 payments that a facilitator refuses, and moves nothing', async () => {
    const account = await funded();
    const { upto } = await options();
    const other = privateKeyToAccount(generatePrivateKey());
    const cases: [string, () => Promise<string>][] = [
      [
        'another facilitator',
        () => payPermit2(account, { ...upto, extra: { ...upto.extra, facilitatorAddress: other.address } }),
      ],
      ['another spender', () => payPermit2(account, upto, (a) => (a.spender = other.address))],
      ['another payee', () => payPermit2(account, upto, (a) => (a.witness.to = other.address))],
      ['a larger amount than signed', () => payPermit2(account, upto, (a) => (a.permitted.amount = '999999'))],
      ['a far deadline', () => payPermit2(account, { ...upto, maxTimeoutSeconds: 86_400 })],
      ['a signature by another key', () => payPermit2(other, upto, (a) => (a.from = account.address))],
    ];
    for (const [name, make] of cases) {
      const res = await call({ 'PAYMENT-SIGNATURE': await make() });
      expect(res.status, name).toBe(402);
    }
    expect(await permit2Sim.usdcBalance(account.address)).toBe(1_000_000n);
  });

  it("says Permit2 schemes need chain: 'ledger' (no Permit2 bytecode for anvil), before starting a chain", async () => {
    await expect(startSimulator({ mode: 'payg', chain: 'anvil', paygSchemes: ['upto'] })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      details: { option: 'paygSchemes' },
    });
  });

  it('refuses a wallet that has not approved Permit2 (permit2_allowance_required)', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    await permit2Sim.fund(account.address, 1);
    const { upto } = await options();
    const res = await call({ 'PAYMENT-SIGNATURE': await payPermit2(account, upto) });
    expect(res.status).toBe(402);
    expect(decode(res.headers.get('payment-required')).error).toMatch(/^permit2_allowance_required/);
    expect(await permit2Sim.usdcBalance(account.address)).toBe(1_000_000n);
  });
});
