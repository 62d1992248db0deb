/**
 * The client's own cost of one paid call, side by side in one run, against a server that verifies nothing
 * (bench/canned-server.ts, its own process): latency per sequential call, and main-thread (event-loop)
 * busy time per call from performance.eventLoopUtilization(); then 200 concurrent calls: throughput and p99
 * event-loop delay. Run: pnpm build && [RUNS=3] [ROUNDS=2000] [WARMUP=5000] [CANNED_CLIENTS=<regex>] [CANNED_COMPARE_CORE=<index.js>] node --import tsx bench/canned.ts [--no-official]
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createBudget, createEstimator, createWallet } from '@venice-x402/core';
import { signInHeaderCounters } from '@venice-x402/core/internal';
import { createX402Fetch } from '@venice-x402/fetch';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';

const here = fileURLToPath(new URL('.', import.meta.url));
const ROUNDS = Number(process.env.ROUNDS ?? 2000);
const RUNS = Number(process.env.RUNS ?? 3);

function serverProcess(): Promise<{ baseURL: string; url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'canned-server.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve) => {
    child.stdout.once('data', (d) => resolve({ ...JSON.parse(String(d)), stop: () => child.kill('SIGTERM') }));
  });
}

function official(): ((key: string, o: { apiUrl: string }) => typeof fetch) | undefined {
  const dir = join(here, '.official-client');
  if (process.argv.includes('--no-official') || !existsSync(join(dir, 'node_modules', 'venice-x402-client')))
    return undefined;
  return createRequire(join(dir, 'index.js'))('venice-x402-client').createAuthFetch;
}

// Main-thread CPU time, exact (Linux schedstat: ns on CPU; the main thread's id is the pid). Unlike the event-loop
// figure it does not count time the thread waits for a core; the process figure adds the signing thread and GC.
const schedstat = `/proc/self/task/${process.pid}/schedstat`;
const hasSchedstat = existsSync(schedstat);
const mainThreadNs = () => (hasSchedstat ? Number(readFileSync(schedstat, 'latin1').split(' ')[0]) : 0);
const processUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;

const server = await serverProcess();
const key = generatePrivateKey();
const url = `${server.baseURL}/chat/completions`;
const body = JSON.stringify({
  model: 'qwen3-4b',
  messages: [{ role: 'user', content: 'benchmark me' }],
  max_tokens: 8,
});
const init = () => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body });
const estimator = () =>
  createEstimator({
    baseURL: null,
    defaultEstimateUsd: 0.05,
    models: [{ id: 'qwen3-4b', type: 'text', input: 0.05, output: 0.15, maxCompletionTokens: 8192 }],
  });
const paid = (options: { signOffThread?: boolean; apiKey?: boolean; viaFetch?: boolean }) =>
  createX402Fetch({
    fetch: options.viaFetch ? globalThis.fetch : undefined,
    wallet: options.apiKey
      ? undefined
      : createWallet({ privateKey: key }, { baseURL: server.baseURL, signOffThread: options.signOffThread }),
    apiKey: options.apiKey ? 'sk-bench' : undefined,
    baseURL: server.baseURL,
    budget: createBudget({ limits: { dailyUsd: 1e6 } }),
    estimator: estimator(),
  });
// The canned server verifies nothing, so a signer that answers a fixed signature shows what a wallet call costs
// without its curve math (message building, header, admission): the part of the gap that is not the signature.
const account = privateKeyToAccount(key);
const fixedSignature = await account.signMessage({ message: 'bench' });
const freeSigner = {
  address: account.address,
  signMessage: async () => fixedSignature,
  signTypedData: (args: any) => account.signTypedData(args),
};
const createAuthFetch = official();
// CANNED_COMPARE_CORE=<another core build's index.js>: that build's wallet too, side by side (before / after).
const compareCore = process.env.CANNED_COMPARE_CORE;
const otherWallet = compareCore
  ? ((await import(compareCore)) as typeof import('@venice-x402/core')).createWallet
  : undefined;
const allClients: [string, typeof fetch][] = [
  ['bare fetch', fetch],
  ['createX402Fetch, wallet (default: Node HTTP client, signing off-thread)', paid({})],
  ['createX402Fetch, wallet (signing on the main thread)', paid({ signOffThread: false })],
  ['createX402Fetch, API key', paid({ apiKey: true })],
  ['createX402Fetch, wallet, sent through fetch (`fetch: globalThis.fetch`)', paid({ viaFetch: true })],
  ['createX402Fetch, API key, sent through fetch', paid({ apiKey: true, viaFetch: true })],
  [
    'createX402Fetch, wallet whose signature costs nothing',
    createX402Fetch({
      wallet: createWallet({ account: freeSigner }, { baseURL: server.baseURL }),
      baseURL: server.baseURL,
      budget: createBudget({ limits: { dailyUsd: 1e6 } }),
      estimator: estimator(),
    }),
  ],
  ...(otherWallet
    ? ([
        [
          `createX402Fetch, wallet of ${compareCore}`,
          createX402Fetch({
            wallet: otherWallet({ privateKey: key }, { baseURL: server.baseURL }),
            baseURL: server.baseURL,
            budget: createBudget({ limits: { dailyUsd: 1e6 } }),
            estimator: estimator(),
          }),
        ],
      ] as [string, typeof fetch][])
    : []),
  ...(createAuthFetch
    ? ([['venice-x402-client@0.2.0 createAuthFetch', createAuthFetch(key, { apiUrl: server.url })]] as [
        string,
        typeof fetch,
      ][])
    : []),
];

// CANNED_CLIENTS=<regex>: only the clients whose names match (bare fetch and the API key always run: the baselines).
const only = process.env.CANNED_CLIENTS ? new RegExp(process.env.CANNED_CLIENTS) : undefined;
const clients = allClients.filter(
  ([name]) => !only || only.test(name) || name === 'bare fetch' || name === 'createX402Fetch, API key',
);

async function one(f: typeof fetch) {
  const res = await f(url, init());
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  await res.json();
}

// Sequential: every round runs each client for a batch of calls, alternating, so noise hits all alike. A run
// gives each client the medians of its batches' latency and busy time, and the mean of their CPU (the signing
// thread refills once per ~10 calls: a median would leave those batches out); several runs give each a min–max.
type Figures = { latency: number; busy: number; cpu: number; procCpu: number };
// Headers of this build's signing threads, per client, over all runs (only its own wallets' threads count them).
type Counters = typeof signInHeaderCounters;
const headerCounts = new Map<number, { calls: number } & Counters>();
function countHeaders(j: number, before: Counters, calls: number) {
  const total = headerCounts.get(j) ?? { calls: 0, handedOut: 0, thrownAway: 0, onRequest: 0, wakes: 0 };
  total.calls += calls;
  for (const k of ['handedOut', 'thrownAway', 'onRequest', 'wakes'] as const)
    total[k] += signInHeaderCounters[k] - before[k];
  headerCounts.set(j, total);
}
async function sequentialRun(): Promise<Figures[]> {
  const latency = clients.map(() => [] as number[]);
  const busy = clients.map(() => [] as number[]);
  const cpu = clients.map(() => [] as number[]);
  const procCpu = clients.map(() => [] as number[]);
  const BATCH = 20;
  for (let r = 0; r < ROUNDS / BATCH; r++) {
    for (const [j, [, f]] of clients.entries()) {
      const counted = { ...signInHeaderCounters };
      const elu0 = performance.eventLoopUtilization();
      const c0 = mainThreadNs();
      const p0 = processUs();
      const t0 = performance.now();
      for (let i = 0; i < BATCH; i++) await one(f);
      const elapsed = performance.now() - t0;
      const elu = performance.eventLoopUtilization(elu0);
      cpu[j]!.push((mainThreadNs() - c0) / 1000 / BATCH);
      procCpu[j]!.push((processUs() - p0) / BATCH);
      latency[j]!.push((elapsed / BATCH) * 1000);
      busy[j]!.push((elu.active / BATCH) * 1000);
      countHeaders(j, counted, BATCH);
    }
  }
  return clients.map((_, j) => ({
    latency: median(latency[j]!),
    busy: median(busy[j]!),
    cpu: mean(cpu[j]!),
    procCpu: mean(procCpu[j]!),
  }));
}
// Warm-up to steady state: V8 keeps optimising the paths of a paid call for some 5,000 calls, on its own threads;
// measured before that, their compile work lands in whichever batch triggers it (process CPU) as noise.
const WARMUP = Number(process.env.WARMUP ?? 5000);
for (const [, f] of clients) for (let i = 0; i < WARMUP; i++) await one(f);
const runs: Figures[][] = [];
for (let run = 0; run < RUNS; run++) runs.push(await sequentialRun());

const KEY = clients.findIndex(([name]) => name === 'createX402Fetch, API key');
/** min–max over the runs of a figure of client `j`, each run's figure taken through `of` (a ratio, a difference…). */
const range = (j: number, of: (run: Figures[], j: number) => number, digits = 0, unit = ' µs') => {
  const xs = runs.map((run) => of(run, j)).sort((a, b) => a - b);
  const f = (x: number) => `${x < 0 ? '−' : ''}${Math.abs(x).toFixed(digits)}`;
  return xs[0]!.toFixed(digits) === xs.at(-1)!.toFixed(digits)
    ? `${f(xs[0]!)}${unit}`
    : `${f(xs[0]!)}–${f(xs.at(-1)!)}${unit}`;
};
/** The same for a difference: each end signed, "to" between them. */
const diff = (j: number, of: (run: Figures[], j: number) => number) => {
  const xs = runs.map((run) => of(run, j)).sort((a, b) => a - b);
  const f = (x: number) => `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(0)}`;
  return xs.length === 1 ? `${f(xs[0]!)} µs` : `${f(xs[0]!)} to ${f(xs.at(-1)!)} µs`;
};
console.log(
  `## Paid call against a canned server (verifies nothing), ${ROUNDS} sequential calls per client, ${RUNS} runs (Node ${process.version})\n`,
);
console.log(
  "| client | latency / call | ratio to bare | event-loop busy / call | over bare | main-thread CPU / call | other threads' CPU / call (signing thread, GC, JIT) | process CPU / call (all threads) | process CPU over API key |",
);
console.log('|---|---|---|---|---|---|---|---|---|');
clients.forEach(([name], j) => {
  const cs = hasSchedstat ? range(j, (run, k) => run[k]!.cpu) : 'n/a';
  const others = hasSchedstat ? range(j, (run, k) => run[k]!.procCpu - run[k]!.cpu) : 'n/a';
  console.log(
    `| ${name} | ${range(j, (run, k) => run[k]!.latency)} | ${range(j, (run, k) => run[k]!.latency / run[0]!.latency, 2, '×')} | ${range(j, (run, k) => run[k]!.busy)} | ${j === 0 ? '—' : diff(j, (run, k) => run[k]!.busy - run[0]!.busy)} | ${cs} | ${others} | ${range(j, (run, k) => run[k]!.procCpu)} | ${j === KEY ? '—' : diff(j, (run, k) => run[k]!.procCpu - run[KEY]!.procCpu)} |`,
  );
});
console.log(
  `\nEach figure is the min–max over ${RUNS} runs in this one process of the run's median batch, CPU figures of its mean batch (differences and ratios are taken within a run), after ${WARMUP} warm-up calls per client. Process CPU is \`process.cpuUsage()\` (every thread of the client process: event loop, signing thread, GC, undici).`,
);

console.log('\n### Sign-In-With-X headers of the signing thread, per sequential call (all runs)\n');
console.log('| client | signed ahead, used | signed ahead, thrown away | signed on request | thread woken |');
console.log('|---|---|---|---|---|');
for (const [j, c] of headerCounts) {
  if (c.handedOut + c.thrownAway + c.onRequest === 0) continue;
  const per = (n: number) => (n / c.calls).toFixed(3);
  console.log(
    `| ${clients[j]![0]} | ${per(c.handedOut)} | ${per(c.thrownAway)} | ${per(c.onRequest)} | ${per(c.wakes)} |`,
  );
}

// Concurrent: 200 calls at once, throughput and p99 event-loop delay.
console.log('\n## 200 concurrent calls\n');
console.log('| client | calls / s | p99 event-loop delay |');
console.log('|---|---|---|');
for (const [name, f] of clients) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 200 }, () => one(f)));
  const s = (performance.now() - t0) / 1000;
  // One more turn, so a loop that was blocked through the whole batch records that delay too.
  await new Promise((r) => setTimeout(r, 1));
  h.disable();
  console.log(`| ${name} | ${(200 / s).toFixed(0)} | ${(h.percentile(99) / 1e6).toFixed(2)} ms |`);
}
server.stop();
process.exit(0);
