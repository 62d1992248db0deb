/**
 * The wallet's own Venice calls (balance, transactions, top-up) carry a sign-in or a payment too: a 307 to another
 * origin must reach the caller as an error, and the other origin must see nothing (SPEC §5, issue 25 "Credentials").
 */
import { createWallet, HttpError } from '@venice-x402/core';
import { generatePrivateKey } from 'viem/accounts';
import { expect, it } from 'vitest';
import { json, quoteHeader, useHostileServers } from './hostile-server.js';

const PAYMENT = ['payment-signature', 'x-payment', 'x-402-payment'];
const hostile = useHostileServers();

it('balance, transactions and top-up never follow a redirect with the sign-in or the payment', async () => {
  const thief = await hostile((_req, res) => json(res, 200, { data: { balanceUsd: 1 } }));
  const api = await hostile((req, res) => {
    if (req.url!.includes('/x402/top-up') && !PAYMENT.some((name) => req.headers[name]))
      return json(res, 402, { error: 'pay' }, { 'PAYMENT-REQUIRED': quoteHeader(10_000_000n, `${req.url}`) });
    res.writeHead(307, { location: `${thief.url}/steal` });
    res.end();
  });
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: `${api.url}/api/v1` });
  await expect(wallet.balance()).rejects.toBeInstanceOf(HttpError);
  await expect(wallet.transactions()).rejects.toBeInstanceOf(HttpError);
  await expect(wallet.topUp(10)).rejects.toThrow(/307/);
  expect(api.seen.filter((s) => s.headers['sign-in-with-x'])).toHaveLength(2);
  expect(api.seen.filter((s) => PAYMENT.some((name) => s.headers[name]))).toHaveLength(1);
  expect(thief.seen).toEqual([]);
});
