/**
 * Issue 26.7: a new user's client signs in for the host it reaches (127.0.0.1), which the simulator refuses as Venice
 * does. The refusal says how to fix it, and `sim.clientOptions` are options that work.
 */
import { AuthError, createWallet } from '@venice-x402/core';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';

let sim: Simulator;
const envDomain = process.env.VENICE_SIGN_IN_DOMAIN;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.stop());
afterEach(() => {
  process.env.VENICE_SIGN_IN_DOMAIN = envDomain;
});

it('a sign-in for the host reached is refused with the fix in the message', async () => {
  delete process.env.VENICE_SIGN_IN_DOMAIN; // as on a new user's machine
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
  sim.credit(wallet.address, 1);
  const res = await fetch(`${sim.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'sign-in-with-x': await wallet.signIn() },
    body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = (await res.json()) as { error: string; code: string };
  expect([res.status, body.code]).toEqual([401, 'X402_SIGN_IN_DOMAIN_MISMATCH']);
  expect(body.error).toContain('Sign-in-with-X domain 127.0.0.1 is not allowed');
  expect(body.error).toContain("signIn: { domain: 'api.venice.ai' }");
  expect(body.error).toContain('VENICE_SIGN_IN_DOMAIN=api.venice.ai');
  expect(body.error).toContain('sim.clientOptions');
  // The wallet routes answer Venice's fixed text, as documented (docs/venice-protocol.md §1.5).
  await expect(wallet.balance()).rejects.toBeInstanceOf(AuthError);
});

it('sim.clientOptions work as they are, with no environment', async () => {
  delete process.env.VENICE_SIGN_IN_DOMAIN;
  expect(sim.clientOptions).toEqual({ baseURL: sim.baseURL, signIn: { domain: 'api.venice.ai' } });
  const wallet = createWallet({ privateKey: generatePrivateKey() }, sim.clientOptions);
  sim.credit(wallet.address, 2);
  expect((await wallet.balance()).balanceUsd).toBe(2);
});

it('in pay-per-call mode they are the base URL alone', async () => {
  const payg = await startSimulator({ mode: 'payg' });
  try {
    expect(payg.clientOptions).toEqual({ baseURL: payg.baseURL });
  } finally {
    await payg.stop();
  }
});
