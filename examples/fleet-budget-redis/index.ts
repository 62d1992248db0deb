/**
 * A fleet of agent processes sharing one wallet and one Redis budget: each agent has its own scope and
 * limit, the fleet has a global cap, and no process can push the total past it.
 *
 * Offline it starts the simulator and a throwaway redis-server itself (`--cluster`: a three-master Redis Cluster);
 * set REDIS_URL (or REDIS_CLUSTER=host:port,…) to use your own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createBudget, redisStore } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { money, setup, step } from '../shared/setup.js';
import { connect, startRedis } from './local-redis.js';

const POLICY = {
  limits: { totalUsd: 0.002 },
  scopes: Object.fromEntries(['agent:1', 'agent:2', 'agent:3', 'agent:4'].map((s) => [s, { totalUsd: 0.0008 }])),
};

if (process.argv.includes('--worker')) {
  // One agent process: spend until the budget says no.
  const agent = process.env.AGENT!;
  const redis = connect(process.env.REDIS_TARGET!, process.env.REDIS_IS_CLUSTER === '1');
  const budget = createBudget(POLICY, { store: redisStore({ client: redis, prefix: process.env.BUDGET_PREFIX! }) });
  const { createWallet } = await import('@venice-x402/core');
  const wallet = createWallet(
    { privateKey: process.env.VENICE_WALLET_KEY! },
    { baseURL: process.env.VENICE_BASE_URL!, signIn: { domain: 'api.venice.ai' } },
  );
  const paid = createX402Fetch({ wallet, budget, scope: agent });
  let ok = 0;
  let refused = 0;
  for (let i = 0; i < 20; i++) {
    try {
      const res = await paid(`${process.env.VENICE_BASE_URL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'llama-3.3-70b',
          messages: [{ role: 'user', content: `task ${i} for ${agent}` }],
          max_tokens: 100,
        }),
      });
      await res.json();
      ok++;
    } catch (error) {
      if ((error as { code?: string }).code !== 'BUDGET_EXCEEDED') throw error;
      refused++;
    }
  }
  process.stdout.write(`${JSON.stringify({ agent, ok, refused })}\n`);
  redis.disconnect();
  process.exit(0);
}

const env = await setup();
const redis = await startRedis(process.argv.includes('--cluster'));
try {
  if (env.sim) env.sim.credit(env.wallet.address, 1);
  const prefix = `fleet-demo-${Date.now()}`;
  step(
    `4 agent processes, one wallet (${env.wallet.address}), one budget on ${redis.cluster ? 'a Redis Cluster' : 'one Redis server'}: fleet cap ${money(POLICY.limits.totalUsd)}, ${money(0.0008)} per agent`,
  );
  const workers: ChildProcess[] = [];
  const results = await Promise.all(
    [1, 2, 3, 4].map(
      (n) =>
        new Promise<{ agent: string; ok: number; refused: number }>((resolve, reject) => {
          const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--worker'], {
            env: {
              ...process.env,
              AGENT: `agent:${n}`,
              REDIS_TARGET: redis.target,
              REDIS_IS_CLUSTER: redis.cluster ? '1' : '0',
              BUDGET_PREFIX: prefix,
              VENICE_WALLET_KEY: env.privateKey,
              VENICE_BASE_URL: env.baseURL,
            },
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          workers.push(child);
          let out = '';
          child.stdout!.on('data', (d) => (out += d));
          child.on('exit', (code) =>
            code === 0
              ? resolve(JSON.parse(out.trim().split('\n').at(-1)!))
              : reject(new Error(`worker ${n} exited ${code}`)),
          );
        }),
    ),
  );
  for (const r of results) console.log(`  ${r.agent}: ${r.ok} calls answered, ${r.refused} refused by the budget`);

  const client = connect(redis.target, redis.cluster);
  const budget = createBudget(POLICY, { store: redisStore({ client, prefix }) });
  const report = await budget.report({ by: 'scope' });
  client.disconnect();
  step('spend by scope (from Redis)');
  for (const row of report.rows) console.log(`  ${row.key.padEnd(10)} ${money(row.spentUsd)} (${row.calls} calls)`);
  const cap = POLICY.limits.totalUsd;
  console.log(`  fleet total ${money(report.totalUsd)} ≤ cap ${money(cap)}: ${report.totalUsd <= cap ? 'yes' : 'NO'}`);
  if (env.sim)
    console.log(`  simulator charged ${money(Number(env.sim.ledger.totalCharged(env.wallet.address)) / 1e6)}`);
} finally {
  redis.stop();
  await env.stop();
}
