/** Child process of the fleet run: CALLS paid calls with its own wallet against one budget on a Redis Cluster. */
import { createBudget, createWallet, redisStore } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { Cluster } from 'ioredis';

const ports = process.env.REDIS_CLUSTER!.split(',').map(Number);
const client = new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })));
const budget = createBudget(
  { limits: { totalUsd: Number(process.env.CAP_USD) } },
  { store: redisStore({ client, prefix: process.env.BUDGET_PREFIX! }) },
);
const wallet = createWallet({ privateKey: process.env.VENICE_WALLET_KEY! }, { baseURL: process.env.VENICE_BASE_URL! });
const paid = createX402Fetch({ wallet, budget });
const calls = Number(process.env.CALLS);
const outcomes: Record<string, number> = {};
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (next < calls) {
      const i = next++;
      let outcome: string;
      try {
        const res = await paid(`${process.env.VENICE_BASE_URL}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'llama-3.3-70b',
            messages: [{ role: 'user', content: `fleet call ${i}` }],
            max_tokens: 32,
          }),
        });
        await res.text();
        outcome = res.ok ? 'ok' : `http ${res.status}`;
      } catch (error) {
        outcome = (error as { code?: string }).code ?? 'other';
      }
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
  }),
);
process.stdout.write(`${JSON.stringify({ outcomes, ms: performance.now() - started })}\n`);
await budget.close();
client.disconnect();
