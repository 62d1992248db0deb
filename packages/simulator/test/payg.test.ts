import { ExactEvmScheme } from '@x402/evm/exact/client';
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
