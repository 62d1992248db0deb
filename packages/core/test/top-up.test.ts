import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authorizationTypes } from '@x402/evm';
import { verifyTypedData } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_USDC, createWallet, ProtocolError, QuoteRejectedError } from '../src/index.js';
import { decodeBase64Json } from '../src/internal.js';

const PAY_TO = '0x1111111111111111111111111111111111111111';
const goodOption = {
  scheme: 'exact',
  network: 'eip155:8453',
  amount: '5000000',
  asset: BASE_USDC.toLowerCase(),
  payTo: PAY_TO,
  maxTimeoutSeconds: 300,
  extra: { name: 'USD Coin', version: '2' },
};

/** A scripted top-up endpoint: answers discovery with `quote`, records the payment it receives. */
let discovery: { body?: unknown; header?: string } = {};
const received: Record<string, string>[] = [];
let server: Server;
let baseURL: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const headers = req.headers as Record<string, string>;
    const payment = headers['payment-signature'] ?? headers['x-402-payment'];
    if (!payment) {
      if (discovery.header) res.setHeader('PAYMENT-REQUIRED', discovery.header);
      res.writeHead(402, { 'content-type': 'application/json' });
      return res.end(typeof discovery.body === 'string' ? discovery.body : JSON.stringify(discovery.body ?? {}));
    }
    received.push(headers);
    const receipt = Buffer.from(
      JSON.stringify({ success: true, network: 'eip155:8453', transaction: '0xabc' }),
    ).toString('base64');
    res.writeHead(200, { 'content-type': 'application/json', 'PAYMENT-RESPONSE': receipt });
    res.end(JSON.stringify({ success: true, data: { amountCredited: 10, newBalance: 10, paymentId: 'x402-1' } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function countingWallet(options: Parameters<typeof createWallet>[1] = {}) {
  const account = privateKeyToAccount(generatePrivateKey());
  const counter = { typed: 0 };
  const wallet = createWallet(
    {
      account: {
        address: account.address,
        signMessage: (a) => account.signMessage(a),
        signTypedData: async (a: any) => {
          counter.typed++;
          return account.signTypedData(a);
        },
      },
    },
    { baseURL, ...options },
  );
  return { wallet, counter, account };
}

describe('top-up', () => {
  it('by default sends what Venice’s own client sends for any amount: the hybrid layout as X-402-Payment', async () => {
    discovery = { body: { x402Version: 2, accepts: [goodOption] } };
    const { wallet } = countingWallet();
    await wallet.topUp(10); // ≠ the advertised 5 USDC: a stock v2 server would refuse a v2 payload here
    const sent = received.at(-1)!;
    expect(sent['payment-signature']).toBeUndefined();
    const payload = decodeBase64Json(sent['x-402-payment']!, 'sent') as any;
    expect(Object.keys(payload).sort()).toEqual(['network', 'payload', 'scheme', 'x402Version']);
    expect(payload).toMatchObject({ x402Version: 2, scheme: 'exact', network: 'base' });
    expect(payload.payload.authorization.value).toBe('10000000');
  });

  it('signs an EIP-3009 payment that verifies against the USDC domain and reads the receipt (v2 layout)', async () => {
    discovery = { body: { x402Version: 2, accepts: [goodOption] } };
    const { wallet, account } = countingWallet({ paymentShape: 'v2' });
    const result = await wallet.topUp(10);
    expect(result).toMatchObject({ amountUsd: 10, newBalanceUsd: 10, paymentId: 'x402-1', transaction: '0xabc' });
    const sent = received.at(-1)!;
    const payload = decodeBase64Json(sent['payment-signature']!, 'sent') as any;
    expect(payload.x402Version).toBe(2);
    expect(payload.accepted.amount).toBe('10000000');
    const auth = payload.payload.authorization;
    expect(auth.value).toBe('10000000');
    const valid = await verifyTypedData({
      address: account.address,
      domain: { name: 'USD Coin', version: '2', chainId: 8453, verifyingContract: BASE_USDC },
      types: authorizationTypes,
      primaryType: 'TransferWithAuthorization',
      message: {
        ...auth,
        value: BigInt(auth.value),
        validAfter: BigInt(auth.validAfter),
        validBefore: BigInt(auth.validBefore),
      },
      signature: payload.payload.signature,
    });
    expect(valid).toBe(true);
  });

  it('sends the hybrid layout as X-402-Payment when asked, reading the quote from the header', async () => {
    const quote = { x402Version: 2, accepts: [goodOption] };
    discovery = { header: Buffer.from(JSON.stringify(quote)).toString('base64'), body: 'not json' };
    const { wallet } = countingWallet({ paymentShape: 'hybrid' });
    await wallet.topUp(5);
    const payload = decodeBase64Json(received.at(-1)!['x-402-payment']!, 'sent') as any;
    expect(payload).toMatchObject({ x402Version: 2, scheme: 'exact', network: 'base' });
    expect(payload.payload.authorization.value).toBe('5000000');
  });

  const hostile: [string, unknown, string][] = [
    ['wrong network', { ...goodOption, network: 'eip155:1' }, 'network'],
    ['wrong asset', { ...goodOption, asset: '0x2222222222222222222222222222222222222222' }, 'asset'],
    ['long validity', { ...goodOption, maxTimeoutSeconds: 86_400 * 365 }, 'timeout'],
    ['minimum above $10,000', { ...goodOption, amount: '99000000000' }, 'amount'],
    [
      'permit2 transfer',
      { ...goodOption, extra: { name: 'USD Coin', version: '2', assetTransferMethod: 'permit2' } },
      'scheme',
    ],
    ['non-address payee', { ...goodOption, payTo: 'bob' }, 'payee'],
  ];
  for (const [name, option, reason] of hostile) {
    it(`refuses a quote with ${name} before signing`, async () => {
      discovery = { body: { x402Version: 2, accepts: [option] } };
      const { wallet, counter } = countingWallet();
      const error = await wallet.topUp(10).catch((e) => e);
      expect(error).toBeInstanceOf(QuoteRejectedError);
      expect(error.reason).toBe(reason);
      expect(counter.typed).toBe(0);
    });
  }

  it('refuses a payee off the allow-list and a payee that changed from the pinned one', async () => {
    discovery = { body: { x402Version: 2, accepts: [goodOption] } };
    const allowList = countingWallet({ signingPolicy: { payees: ['0x3333333333333333333333333333333333333333'] } });
    expect((await allowList.wallet.topUp(10).catch((e) => e)).reason).toBe('payee');
    expect(allowList.counter.typed).toBe(0);

    const pinned = countingWallet();
    await pinned.wallet.topUp(5);
    expect(pinned.counter.typed).toBe(1);
    discovery = {
      body: { x402Version: 2, accepts: [{ ...goodOption, payTo: '0x4444444444444444444444444444444444444444' }] },
    };
    const error = await pinned.wallet.topUp(5).catch((e) => e);
    expect(error.reason).toBe('payee_changed');
    expect(pinned.counter.typed).toBe(1);
  });

  it('refuses amounts outside $5–$10,000 and below the advertised minimum', async () => {
    discovery = { body: { x402Version: 2, accepts: [{ ...goodOption, amount: '20000000' }] } };
    const { wallet, counter } = countingWallet();
    for (const usd of [1, 20_000, 10]) {
      expect(await wallet.topUp(usd).catch((e) => e)).toBeInstanceOf(QuoteRejectedError);
    }
    expect(counter.typed).toBe(0);
  });

  it('turns malformed base64 / JSON quotes into ProtocolError without signing', async () => {
    const { wallet, counter } = countingWallet();
    for (const header of [
      '%%%not-base64%%%',
      Buffer.from('{nope').toString('base64'),
      Buffer.from('{"x402Version":2}').toString('base64'),
    ]) {
      discovery = { header, body: {} };
      expect(await wallet.topUp(10).catch((e) => e)).toBeInstanceOf(ProtocolError);
    }
    expect(counter.typed).toBe(0);
  });
});
