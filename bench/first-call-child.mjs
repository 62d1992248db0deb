/**
 * One sample of bench/first-call.ts: a fresh process, run by plain `node` on the built `dist/` (as a deployed app
 * runs, no TypeScript loader): imports the packages, then times creating the budget, the wallet (FIRST_CALL_MODE=
 * wallet; `key`: an API key; `bare`: Node's own `fetch`, unpaid) and the paid fetch, and 6 sequential calls. Prints the times (ms) as one JSON line.
 */
import { createRequire } from 'node:module';

const baseURL = process.env.FIRST_CALL_CHILD;
if (process.env.FIRST_CALL_PRELOAD) {
  // An app that already uses fetch and zod (the AI SDK, LangChain): Node's fetch (undici) and the zod our core
  // resolves are loaded before the clock starts.
  new Headers();
  createRequire(import.meta.resolve('@venice-x402/core'))('zod/v4');
}
const { createBudget, createEstimator } = await import('@venice-x402/core');
const { createWallet } = await import(process.env.FIRST_CALL_CORE || '@venice-x402/core');
const { createX402Fetch } = await import('@venice-x402/fetch');
const newKey = () => `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex')}`;
const key = newKey();
const body = JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 });
const since = (t) => performance.now() - t;
const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body };
const pricedLocally = () =>
  createEstimator({
    baseURL: null,
    defaultEstimateUsd: 0.05,
    models: [{ id: 'qwen3-4b', type: 'text', input: 0.05, output: 0.15, maxCompletionTokens: 8192 }],
  });
if (process.env.FIRST_CALL_WARM) {
  // A process that already made paid calls with another wallet (a new `ChatVeniceX402` in a running server).
  const warm = createX402Fetch({
    wallet: createWallet({ privateKey: newKey() }, { baseURL }),
    baseURL,
    budget: createBudget({ limits: { dailyUsd: 1e6 } }),
    estimator: pricedLocally(),
  });
  for (let i = 0; i < 50; i++) await (await warm(`${baseURL}/chat/completions`, init)).json();
}

let t = performance.now();
const budget = createBudget({ limits: { dailyUsd: 1e6 } });
const budgetMs = since(t);
t = performance.now();
const mode = process.env.FIRST_CALL_MODE;
const wallet = mode === 'wallet' ? createWallet({ privateKey: key }, { baseURL }) : undefined;
const walletMs = since(t);
const f =
  mode === 'bare'
    ? fetch
    : createX402Fetch({
        wallet,
        apiKey: wallet ? undefined : 'sk-bench',
        baseURL,
        budget,
        estimator: pricedLocally(),
      });
const calls = [];
for (let i = 0; i < 6; i++) {
  t = performance.now();
  const res = await f(`${baseURL}/chat/completions`, init);
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  await res.json();
  calls.push(since(t));
}
console.log(JSON.stringify({ budgetMs, walletMs, calls }));
process.exit(0);
