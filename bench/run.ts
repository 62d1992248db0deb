/**
 * Benchmarks (pnpm bench: builds the packages, then measures the built `dist/` code). Prints a Markdown report; `--write` also saves it to bench/BENCHMARKS.md.
 * Everything compared is measured side by side in one run: these machines are noisy, ratios are what count.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BudgetStore, createBudget, createWallet, fileStore, memoryStore, redisStore } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { startSimulator } from '@venice-x402/simulator';
import { Redis } from 'ioredis';
import { generatePrivateKey } from 'viem/accounts';
import { redisServerAvailable, startRedisServer } from '../packages/core/test/helpers/redis-server.js';

const lines: string[] = [];
const out = (s = '') => {
  lines.push(s);
  console.log(s);
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function budgetPairs(store: BudgetStore, concurrency: number, seconds: number): Promise<number> {
  const budget = createBudget({ limits: { dailyUsd: 1e9, totalUsd: 1e9 } }, { store });
  let pairs = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        for (let i = 0; i < 50; i++) {
          const r = await budget.reserve({ estimateMicros: 1000n, model: 'm' });
          await budget.commit(r, 900n);
          pairs++;
        }
      }
    }),
  );
  await budget.close();
  return pairs / seconds;
}

async function benchBudget() {
  out('## Budget engine: reserve + commit pairs per second');
  out('');
  out('| store | 1 caller | 64 concurrent callers |');
  out('|---|---|---|');
  const fmt = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`;
  out(`| memory | ${fmt(await budgetPairs(memoryStore(), 1, 2))} | ${fmt(await budgetPairs(memoryStore(), 64, 2))} |`);
  const dir = mkdtempSync(join(tmpdir(), 'vx402-bench-'));
  out(
    `| file (fsync per commit) | ${fmt(await budgetPairs(fileStore(join(dir, 'a.jsonl')), 1, 2))} | ${fmt(await budgetPairs(fileStore(join(dir, 'b.jsonl')), 64, 2))} |`,
  );
  if (redisServerAvailable()) {
    const server = await startRedisServer();
    const client = new Redis(server.url);
    out(
      `| Redis (loopback, ioredis) | ${fmt(await budgetPairs(redisStore({ client, prefix: 'b1' }), 1, 2))} | ${fmt(await budgetPairs(redisStore({ client, prefix: 'b2' }), 64, 2))} |`,
    );
    client.disconnect();
    await server.stop();
  } else out('| Redis | not measured: redis-server missing | |');
  out('');
}

async function benchPaidCall() {
  const sim = await startSimulator({ chain: 'ledger' });
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
  sim.credit(wallet.address, 1000);
  const paid = createX402Fetch({ wallet, budget: createBudget({ limits: { dailyUsd: 1000 } }) });
  const body = JSON.stringify({
    model: 'qwen3-4b',
    messages: [{ role: 'user', content: 'benchmark me' }],
    max_tokens: 8,
  });
  const init = () => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const url = `${sim.baseURL}/chat/completions`;
  // The floor: a bare fetch with a header signed up front (no signing, no budget on the timed path).
  const bare = async () => {
    const header = await wallet.signIn();
    const t = performance.now();
    const res = await fetch(url, {
      ...init(),
      headers: { 'content-type': 'application/json', 'SIGN-IN-WITH-X': header },
    });
    await res.json();
    return performance.now() - t;
  };
  const viaPaid = async () => {
    const t = performance.now();
    const res = await paid(url, init());
    await res.json();
    return performance.now() - t;
  };
  for (let i = 0; i < 200; i++) await (i % 2 ? bare() : viaPaid()); // warm-up: JIT, pricing cache, sign-in pool
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 1000; i++) {
    a.push(await bare());
    b.push(await viaPaid());
  }
  const mb = median(a);
  const mp = median(b);
  out('## Paid call latency on loopback (simulator, ledger mode, non-streaming chat)');
  out('');
  out('| client | median | ratio to bare |');
  out('|---|---|---|');
  out(`| bare fetch (pre-signed SIWX header) | ${mb.toFixed(3)} ms | 1.00 |`);
  out(
    `| createX402Fetch (sign-in, estimate, reserve, settle, commit) | ${mp.toFixed(3)} ms | ${(mp / mb).toFixed(2)} |`,
  );
  out('');
  out('1,000 alternating calls after 200 warm-up calls, same process, same server. `venice-x402-client@0.2.0` is not');
  out('measured here yet (it is installed on demand by the comparison benchmark of the benchmarks issue).');
  out('');
  await sim.stop();
}

function benchColdImport() {
  const runs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const t=performance.now();await import('@venice-x402/fetch');console.log(performance.now()-t)",
      ],
      { cwd: new URL('.', import.meta.url).pathname, encoding: 'utf8' },
    );
    runs.push(Number(r.stdout.trim()));
  }
  out('## Cold import of @venice-x402/fetch');
  out('');
  out(
    `median ${median(runs).toFixed(1)} ms over 7 fresh processes (built \`dist/\`, plain node; signing and payment code`,
  );
  out('from `@x402/evm` load lazily on the first payment).');
  out('');
}

out('# Benchmarks');
out('');
out(
  `Command: \`pnpm bench -- --write\` · ${new Date().toISOString().slice(0, 10)} · Node ${process.version} · ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
);
out('');
await benchBudget();
await benchPaidCall();
benchColdImport();
if (process.argv.includes('--write'))
  writeFileSync(new URL('./BENCHMARKS.md', import.meta.url), `${lines.join('\n')}\n`);
