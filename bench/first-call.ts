/**
 * The first paid call of a fresh wallet against later ones: each sample is a fresh process (modules loaded, nothing
 * signed yet) that creates a wallet and makes 6 sequential paid calls to the canned server (its own process).
 * Run: pnpm build && node --import tsx bench/first-call.ts [samples] [other-core-dist/index.js]
 * With a second argument, samples alternate between this build and the wallet of another build of the core
 * (e.g. an older commit built with tsup), side by side in one run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const SAMPLES = Number(process.argv[2] ?? 7);

if (process.env.FIRST_CALL_CHILD) {
  const { createBudget, createEstimator } = await import('@venice-x402/core');
  const { createWallet } = (await import(
    process.env.FIRST_CALL_CORE || '@venice-x402/core'
  )) as typeof import('@venice-x402/core');
  const { createX402Fetch } = await import('@venice-x402/fetch');
  const { generatePrivateKey } = await import('viem/accounts');
  const baseURL = process.env.FIRST_CALL_CHILD;
  const key = generatePrivateKey();
  const body = JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 });
  const times: number[] = [];
  const t0 = performance.now();
  const f = createX402Fetch({
    wallet: createWallet({ privateKey: key }, { baseURL }),
    baseURL,
    budget: createBudget({ limits: { dailyUsd: 1e6 } }),
    estimator: createEstimator({
      baseURL: null,
      defaultEstimateUsd: 0.05,
      models: [{ id: 'qwen3-4b', type: 'text', input: 0.05, output: 0.15, maxCompletionTokens: 8192 }],
    }),
  });
  let t = t0;
  for (let i = 0; i < 6; i++) {
    const res = await f(`${baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await res.json();
    const now = performance.now();
    times.push(now - t);
    t = now;
  }
  console.log(JSON.stringify(times));
  process.exit(0);
}

const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'canned-server.ts')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const server: { baseURL: string } = await new Promise((r) =>
  child.stdout.once('data', (d) => r(JSON.parse(String(d)))),
);
const other = process.argv[3];
const variants: [string, string][] = [['this build', ''], ...(other ? ([[other, other]] as [string, string][]) : [])];
const firsts = variants.map(() => [] as number[]);
const laters = variants.map(() => [] as number[]);
for (let i = 0; i < SAMPLES; i++) {
  for (const [j, [, core]] of variants.entries()) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      cwd: here,
      encoding: 'utf8',
      env: { ...process.env, FIRST_CALL_CHILD: server.baseURL, FIRST_CALL_CORE: core },
    });
    if (r.status !== 0) throw new Error(r.stderr);
    const times: number[] = JSON.parse(r.stdout.trim().split('\n').pop()!);
    firsts[j]!.push(times[0]!);
    laters[j]!.push(...times.slice(2));
  }
}
child.kill();
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
const range = (xs: number[]) => `${sorted(xs)[0]!.toFixed(1)}–${sorted(xs).at(-1)!.toFixed(1)} ms`;
console.log(`Node ${process.version}, ${SAMPLES} fresh processes per build\n`);
console.log(
  '| wallet from | first paid call (createWallet included), median | min–max | 3rd–6th call, median | min–max |',
);
console.log('|---|---|---|---|---|');
for (const [j, [name]] of variants.entries()) {
  console.log(
    `| ${name} | ${median(firsts[j]!).toFixed(1)} ms | ${range(firsts[j]!)} | ${median(laters[j]!).toFixed(1)} ms | ${range(laters[j]!)} |`,
  );
}
