import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { verifyMessage } from 'viem';
import { expect, it } from 'vitest';

/**
 * A fresh process: a wallet made from a private key, its signing thread stalled for good (it never becomes ready),
 * one paid call to a plain node:http server. The call must complete on the event loop's own signature, without
 * waiting for the thread and without loading viem (its SIWE builder, curve or accounts: 100–300 ms of first-call
 * module loading on this machine).
 */
const child = `
  import { createRequire } from 'node:module';
  import { createServer } from 'node:http';
  import { createBudget, createEstimator, createWallet } from '@venice-x402/core';
  import { createX402Fetch } from '@venice-x402/fetch';

  const seen = [];
  const server = createServer((req, res) => {
    seen.push(req.headers['sign-in-with-x']);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'c1', model: 'qwen3-4b', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 }, cost: { usd: 0.00001 } }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const baseURL = 'http://127.0.0.1:' + server.address().port + '/api/v1';
  const wallet = createWallet({ privateKey: '0x' + '42'.repeat(32) }, { baseURL, signIn: { domain: 'api.venice.ai' } });
  let thread = 'starting';
  wallet.signer.ready?.().then(() => (thread = 'ready'), () => (thread = 'failed'));
  const paid = createX402Fetch({
    wallet,
    baseURL,
    budget: createBudget({ limits: { dailyUsd: 1 } }),
    estimator: createEstimator({ baseURL: null, defaultEstimateUsd: 0.01, models: [] }),
  });
  const res = await paid(baseURL + '/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
  });
  await res.json();
  const viem = Object.keys(createRequire(import.meta.url).cache).filter((p) => /[\\\\/]node_modules[\\\\/]viem[\\\\/]/.test(p));
  console.log(JSON.stringify({ status: res.status, thread, header: seen[0], address: wallet.address, viem: viem.length }));
  process.exit(0);
`;

it('the first paid call of a fresh wallet signs on the event loop while its thread starts, and loads no viem', async () => {
  const stall = fileURLToPath(new URL('./fixtures/stall-threads.mjs', import.meta.url));
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=venice-x402-source', '--import', stall, '--input-type=module', '-e', child],
    { cwd: fileURLToPath(new URL('.', import.meta.url)), timeout: 20_000, encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  expect(out.status).toBe(200);
  expect(out.thread).toBe('starting'); // the thread never became ready: the call did not wait for it
  expect(out.viem).toBe(0);
  const { address, message, signature } = JSON.parse(Buffer.from(out.header, 'base64').toString());
  expect(address).toBe(out.address);
  expect(await verifyMessage({ address, message, signature })).toBe(true);
});
