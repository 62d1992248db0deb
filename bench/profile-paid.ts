/** CPU profile of the paid path against the canned server: [VIA_FETCH=1] node --cpu-prof --import tsx bench/profile-paid.ts [key|wallet|bare] (after pnpm build; VIA_FETCH sends through fetch) */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBudget, createEstimator, createWallet } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { generatePrivateKey } from 'viem/accounts';

const here = fileURLToPath(new URL('.', import.meta.url));
const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'canned-server.ts')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const server: { baseURL: string } = await new Promise((r) =>
  child.stdout.once('data', (d) => r(JSON.parse(String(d)))),
);
const mode = process.argv[2] ?? 'key';
const f =
  mode === 'bare'
    ? fetch
    : createX402Fetch({
        fetch: process.env.VIA_FETCH ? globalThis.fetch : undefined,
        wallet:
          mode === 'wallet'
            ? createWallet({ privateKey: generatePrivateKey() }, { baseURL: server.baseURL })
            : undefined,
        apiKey: mode === 'key' ? 'sk-bench' : undefined,
        baseURL: server.baseURL,
        budget: createBudget({ limits: { dailyUsd: 1e6 } }),
        estimator: createEstimator({
          baseURL: null,
          defaultEstimateUsd: 0.05,
          models: [{ id: 'qwen3-4b', type: 'text', input: 0.05, output: 0.15, maxCompletionTokens: 8192 }],
        }),
      });
const body = JSON.stringify({
  model: 'qwen3-4b',
  messages: [{ role: 'user', content: 'benchmark me' }],
  max_tokens: 8,
});
const N = Number(process.env.N ?? 3000);
const t = performance.now();
for (let i = 0; i < N; i++) {
  const res = await f(`${server.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  await res.json();
}
console.log(mode, (((performance.now() - t) / N) * 1000).toFixed(0), 'µs/call');
child.kill();
process.exit(0);
