/**
 * Image edit pricing attacked with bodies the paid fetch cannot read whole (our own node:http server answers): the
 * hold of an upscale must not fall to the cheapest scale because the body was too large to parse.
 */
import { BudgetExceededError, createBudget, createEstimator, createWallet } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { generatePrivateKey } from 'viem/accounts';
import { afterEach, describe, expect, it } from 'vitest';
import { type Hostile, startHostile } from './hostile-server.js';

const servers: Hostile[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup() {
  const server = await startHostile((_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png' }).end('png');
  });
  servers.push(server);
  const baseURL = `${server.url}/api/v1`;
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
  const estimator = createEstimator({
    baseURL: null,
    defaultEstimateUsd: 0.01,
    models: [{ id: 'upscaler', type: 'upscale', upscale2x: 0.02, upscale4x: 0.08 }],
  });
  const budget = createBudget({ limits: { perRequestUsd: 0.05 } });
  return { server, baseURL, budget, fetch: createX402Fetch({ wallet, budget, baseURL, estimator, maxRetries: 0 }) };
}

// Larger than the 32 MiB the paid fetch parses to price a call.
const HUGE_IMAGE = 'A'.repeat(33 * 1024 * 1024);

describe('an upscale whose body is too large to read is held at the dearest scale', () => {
  it('JSON: a 4x upscale of a 33 MiB image is held at the 4x price and refused under a $0.05 per-request cap', async () => {
    const { server, baseURL, fetch } = await setup();
    const body = JSON.stringify({ image: HUGE_IMAGE, scale: 4 });
    const error = await fetch(`${baseURL}/image/upscale`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(server.seen.filter((s) => s.url.endsWith('/image/upscale'))).toHaveLength(0);
  });

  it('multipart: scale=4 beside a 33 MiB image part is held at the 4x price and refused', async () => {
    const { server, baseURL, fetch } = await setup();
    const form = new FormData();
    form.set('scale', '4');
    form.set('image', new Blob([HUGE_IMAGE], { type: 'image/png' }), 'huge.png');
    const error = await fetch(`${baseURL}/image/upscale`, { method: 'POST', body: form }).catch((e) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(server.seen.filter((s) => s.url.endsWith('/image/upscale'))).toHaveLength(0);
  });

  it('a small 2x upscale is still held (and committed) at the 2x price (the control)', async () => {
    const { baseURL, budget, fetch } = await setup();
    const res = await fetch(`${baseURL}/image/upscale`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image: 'AAAA', scale: 2 }),
    });
    expect(res.status).toBe(200);
    expect((await budget.report()).totalUsd).toBe(0.02);
  });
});
