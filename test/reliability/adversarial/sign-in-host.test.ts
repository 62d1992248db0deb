/**
 * Attack on sign-in fields (2026-12-05): a base URL whose host no EIP-4361 message can name. Before, every sign-in
 * threw viem's raw `SiweInvalidMessageFieldError` (from the event loop, after the signing thread refused).
 */
import { ConfigError, createBudget, createEstimator, createWallet } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { generatePrivateKey } from 'viem/accounts';
import { afterEach, expect, it, vi } from 'vitest';
import { chatBody, json, useHostileServers } from './hostile-server.js';

const hostile = useHostileServers();
afterEach(() => {
  vi.unstubAllEnvs();
});

it('a host with no dot (a compose service name) and no signIn.domain: a ConfigError naming what to set, nothing sent', async () => {
  vi.stubEnv('VENICE_SIGN_IN_DOMAIN', ''); // the suite signs for api.venice.ai; this test is about the default
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: 'http://venice-sim:8080/api/v1' });
  const error = await wallet.signIn().catch((e) => e);
  expect(error).toBeInstanceOf(ConfigError);
  expect(error.details).toMatchObject({ option: 'signIn.domain', domain: 'venice-sim:8080' });
  await wallet.close();

  // The same through the paid fetch, to a server that answers: refused before it is asked, the hold released.
  const server = await hostile((_req, res) => json(res, 200, { id: 'x' }));
  const baseURL = server.url.replace('127.0.0.1', 'localhost.') + '/api/v1'; // a trailing dot: no message can carry it
  const other = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
  const budget = createBudget();
  const fetch = createX402Fetch({
    wallet: other,
    budget,
    baseURL,
    estimator: createEstimator({ baseURL: null, defaultEstimateUsd: 0.01 }),
  });
  const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: chatBody() };
  await expect(fetch(`${baseURL}/chat/completions`, post)).rejects.toBeInstanceOf(ConfigError);
  expect(server.seen).toEqual([]);
  expect((await budget.report()).totalUsd).toBe(0);
  await other.close();
});
