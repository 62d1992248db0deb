/**
 * The simulator refuses what Venice's documented service refuses (docs/venice-protocol.md §1–§4), by default. Each rule sends
 * the bad request, signed for real, and expects Venice's status and code.
 */
import { randomBytes } from 'node:crypto';
import { createWallet } from '@venice-x402/core';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import type { PrivateKeyAccount } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createSiweMessage } from 'viem/siwe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { siwxHeader } from './independent-client.js';

let sim: Simulator;
let lenient: Simulator;
beforeAll(async () => {
  [sim, lenient] = await Promise.all([
    startSimulator(),
    startSimulator({ allowedDomains: ['127.0.0.1'], rateLimits: false }),
  ]);
});
afterAll(() => Promise.all([sim.stop(), lenient.stop()]));

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64');

async function chatWith(target: Simulator, siwx: string) {
  const res = await fetch(`${target.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'SIGN-IN-WITH-X': siwx },
    body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
  });
  return { status: res.status, body: await res.json() };
}

/** A correctly signed header around any message text: only the message's shape can make it fail. */
async function signedMessage(account: PrivateKeyAccount, message: string) {
  const signature = await account.signMessage({ message });
  return b64({ address: account.address, message, signature, timestamp: Date.now(), chainId: 8453 });
}

function goodMessage(account: PrivateKeyAccount, domain = 'api.venice.ai') {
  const issuedAt = new Date();
  return createSiweMessage({
    address: account.address,
    chainId: 8453,
    domain,
    uri: 'https://api.venice.ai',
    version: '1',
    nonce: randomBytes(8).toString('hex'),
    issuedAt,
    expirationTime: new Date(issuedAt.getTime() + 300_000),
    statement: 'Sign in to Venice AI',
  });
}

async function funded(target: Simulator) {
  const account = privateKeyToAccount(generatePrivateKey());
  target.credit(account.address, 1);
  return account;
}

describe('strict simulator: Sign-In-With-X', () => {
  it('accepts api.venice.ai and venice.ai only, whatever host it is reached at', async () => {
    const account = await funded(sim);
    const host = new URL(sim.url).host;
    for (const domain of [host, '127.0.0.1', 'localhost']) {
      const { status, body } = await chatWith(sim, await siwxHeader(account, domain));
      expect([domain, status, body.code]).toEqual([domain, 401, 'X402_SIGN_IN_DOMAIN_MISMATCH']);
    }
    for (const domain of ['api.venice.ai', 'venice.ai']) {
      expect((await chatWith(sim, await siwxHeader(account, domain))).status).toBe(200);
    }
  });

  it('takes other domains only when told to (allowedDomains)', async () => {
    const account = await funded(lenient);
    expect((await chatWith(lenient, await siwxHeader(account, '127.0.0.1'))).status).toBe(200);
  });

  it('parses the message as strict EIP-4361: nonce, version, EIP-55 address, no trailing newline', async () => {
    const account = await funded(sim);
    const bad: Record<string, (m: string) => string> = {
      'short nonce': (m) => m.replace(/^Nonce: .*$/m, 'Nonce: abc'),
      'version 2': (m) => m.replace('Version: 1', 'Version: 2'),
      'lower-case address line': (m) => m.replace(account.address, account.address.toLowerCase()),
      'trailing newline': (m) => `${m}\n`,
      'CRLF line ends': (m) => m.replaceAll('\n', '\r\n'),
    };
    for (const [name, mutate] of Object.entries(bad)) {
      const { status, body } = await chatWith(sim, await signedMessage(account, mutate(goodMessage(account))));
      expect([name, status, body.code]).toEqual([name, 401, 'X402_SIGN_IN_INVALID_MESSAGE']);
    }
    const noNonce = goodMessage(account).replace(/^Nonce: .*\n/m, '');
    expect((await chatWith(sim, await signedMessage(account, noNonce))).body.code).toBe('X402_SIGN_IN_MISSING_NONCE');
    // The same checks pass an untouched message: the mutations, not the harness, are refused.
    expect((await chatWith(sim, await signedMessage(account, goodMessage(account)))).status).toBe(200);
  });
});

describe('strict simulator: top-up payloads', () => {
  async function discovery(target: Simulator) {
    const doc = await (await fetch(`${target.baseURL}/x402/top-up`, { method: 'POST' })).json();
    return doc.accepts.find((a: any) => a.network === 'eip155:8453');
  }

  /** Signs `authorize` for real, then sends `wrap(payload)` as the header: the wrapper is what is under test. */
  async function topUp(
    target: Simulator,
    authorize: Record<string, unknown>,
    wrap: (payload: unknown, requirements: any) => unknown,
  ) {
    const account = privateKeyToAccount(generatePrivateKey());
    await target.fund(account.address, 50);
    const requirements = { ...(await discovery(target)), ...authorize };
    const { payload } = await new ExactEvmScheme(account).createPaymentPayload(2, requirements);
    const res = await fetch(`${target.baseURL}/x402/top-up`, {
      method: 'POST',
      headers: { 'PAYMENT-SIGNATURE': b64(wrap(payload, requirements)) },
    });
    return {
      status: res.status,
      code: (await res.json()).error as string,
      usdc: await target.usdcBalance(account.address),
    };
  }

  it('takes the stock v2 payload for an advertised entry, and the Venice-client layout for any amount', async () => {
    const v2 = await topUp(lenient, {}, (payload, accepted) => ({ x402Version: 2, accepted, payload }));
    expect(v2).toMatchObject({ status: 200, usdc: 45_000_000n });
    const hybrid = await topUp(lenient, { amount: '12000000' }, (payload) => ({
      x402Version: 2,
      scheme: 'exact',
      network: 'base',
      payload,
    }));
    expect(hybrid).toMatchObject({ status: 200, usdc: 38_000_000n });
  });

  it('refuses v2 payloads a stock x402 server refuses, moving no USDC', async () => {
    const cases: [string, Record<string, unknown>, (p: unknown, r: any) => unknown, string][] = [
      [
        'accepted matches no advertised entry',
        { amount: '10000000' },
        (payload, accepted) => ({ x402Version: 2, accepted, payload }),
        'INVALID_PAYMENT',
      ],
      [
        'accepted.amount ≠ value',
        { amount: '6000000' },
        (payload, r) => ({ x402Version: 2, accepted: { ...r, amount: '5000000' }, payload }),
        'INVALID_AMOUNT',
      ],
      [
        'accepted.payTo ≠ to',
        {},
        (payload, r) => ({
          x402Version: 2,
          accepted: { ...r, payTo: '0x000000000000000000000000000000000000dEaD' },
          payload,
        }),
        'INVALID_PAYMENT',
      ],
      [
        'maxTimeoutSeconds 999999',
        {},
        (payload, r) => ({ x402Version: 2, accepted: { ...r, maxTimeoutSeconds: 999_999 }, payload }),
        'INVALID_PAYMENT',
      ],
      ['x402Version 7', {}, (payload, accepted) => ({ x402Version: 7, accepted, payload }), 'INVALID_PAYMENT_FORMAT'],
      [
        'validBefore beyond maxTimeoutSeconds',
        { maxTimeoutSeconds: 3600 },
        (payload) => ({ x402Version: 2, scheme: 'exact', network: 'base', payload }),
        'INVALID_PAYMENT',
      ],
    ];
    for (const [name, authorize, wrap, code] of cases) {
      const result = await topUp(lenient, authorize, wrap);
      expect([name, result.status, result.code, result.usdc]).toEqual([name, 400, code, 50_000_000n]);
    }
  });
});

describe('strict simulator: our top-ups', () => {
  it('takes the default topUp(10) (Venice-client layout); a v2 payload only at the advertised amount', async () => {
    const wallet = (paymentShape?: 'v2') =>
      createWallet(
        { privateKey: generatePrivateKey() },
        { baseURL: lenient.baseURL, signIn: { domain: 'api.venice.ai' }, paymentShape },
      );
    const standard = wallet();
    await lenient.fund(standard.address, 20);
    expect(await standard.topUp(10)).toMatchObject({ amountUsd: 10 });
    const v2 = wallet('v2');
    await lenient.fund(v2.address, 20);
    expect(await v2.topUp(5)).toMatchObject({ amountUsd: 5 }); // the advertised entry, matched exactly
    await expect(v2.topUp(10)).rejects.toMatchObject({ details: { serverCode: 'INVALID_PAYMENT' } });
    expect(await lenient.usdcBalance(v2.address)).toBe(15_000_000n); // the refused one moved nothing
  });
});

describe('strict simulator: x402 route limits', () => {
  it('limits top-ups to 10 a minute per IP, balance to 30 and transactions to 20 per wallet', async () => {
    const limited = await startSimulator();
    try {
      const statuses = async (n: number, send: () => Promise<Response>) => {
        const out: number[] = [];
        for (let i = 0; i < n; i++) out.push((await send()).status);
        return out;
      };
      const topUps = await statuses(11, () => fetch(`${limited.baseURL}/x402/top-up`, { method: 'POST' }));
      expect(topUps).toEqual([...Array(10).fill(402), 429]);
      const last = await fetch(`${limited.baseURL}/x402/top-up`, { method: 'POST' });
      expect(await last.json()).toEqual({ error: 'Rate limit exceeded. Please try again later.' });

      const account = privateKeyToAccount(generatePrivateKey());
      const read = (kind: string) => async () =>
        fetch(`${limited.baseURL}/x402/${kind}/${account.address}`, {
          headers: { 'SIGN-IN-WITH-X': await siwxHeader(account, 'api.venice.ai') },
        });
      expect(await statuses(31, read('balance'))).toEqual([...Array(30).fill(200), 429]);
      expect(await statuses(21, read('transactions'))).toEqual([...Array(20).fill(200), 429]);
      // Per wallet: another wallet still reads.
      const other = privateKeyToAccount(generatePrivateKey());
      const res = await fetch(`${limited.baseURL}/x402/balance/${other.address}`, {
        headers: { 'SIGN-IN-WITH-X': await siwxHeader(other, 'api.venice.ai') },
      });
      expect(res.status).toBe(200);
    } finally {
      await limited.stop();
    }
    // Lifted for load tests.
    const burst = await Promise.all(
      Array.from({ length: 15 }, () => fetch(`${lenient.baseURL}/x402/top-up`, { method: 'POST' })),
    );
    expect(burst.every((r) => r.status === 402)).toBe(true);
  });
});
