/**
 * The first paid call of a fresh process against later ones, wallet beside API key: each sample is a fresh process
 * (bench/first-call-child.mjs, plain `node` on the built `dist/`, as a deployed app runs) that creates a budget, a
 * wallet (or uses an API key) and a paid fetch, then makes 6 sequential paid calls to the canned server (its own
 * process). Run: pnpm build && node --import tsx bench/first-call.ts [samples] [other-core-dist/index.js]
 * With a second argument, the wallet of another build of the core (e.g. an older commit) runs too, alternating.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const SAMPLES = Number(process.argv[2] ?? 9);

const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'canned-server.ts')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const server: { baseURL: string } = await new Promise((r) =>
  child.stdout.once('data', (d) => r(JSON.parse(String(d)))),
);
const other = process.argv[3];
type Mode = 'wallet' | 'key' | 'bare';
const variants: { name: string; mode: Mode; core: string; preload?: boolean; warm?: boolean }[] = [
  { name: 'wallet', mode: 'wallet', core: '' },
  { name: 'API key', mode: 'key', core: '' },
  { name: 'bare `fetch`, unpaid', mode: 'bare', core: '' },
  { name: 'wallet, in an app that already loaded fetch and zod', mode: 'wallet', core: '', preload: true },
  { name: 'API key, in an app that already loaded fetch and zod', mode: 'key', core: '', preload: true },
  { name: 'bare `fetch`, in an app that already loaded fetch', mode: 'bare', core: '', preload: true },
  { name: 'a new wallet, in a process that made calls with another', mode: 'wallet', core: '', warm: true },
  { name: 'a new API-key fetch, in a process that made calls with a wallet', mode: 'key', core: '', warm: true },
  ...(other ? [{ name: `wallet of ${other}`, mode: 'wallet' as const, core: other }] : []),
];
type Sample = { budgetMs: number; walletMs: number; calls: number[] };
const samples = variants.map(() => [] as Sample[]);
for (let i = 0; i < SAMPLES; i++) {
  for (const [j, { mode, core, preload, warm }] of variants.entries()) {
    const r = spawnSync(process.execPath, [join(here, 'first-call-child.mjs')], {
      cwd: here,
      encoding: 'utf8',
      env: {
        ...process.env,
        FIRST_CALL_CHILD: server.baseURL,
        FIRST_CALL_MODE: mode,
        FIRST_CALL_CORE: core,
        FIRST_CALL_PRELOAD: preload ? '1' : '',
        FIRST_CALL_WARM: warm ? '1' : '',
      },
    });
    if (r.status !== 0) throw new Error(r.stderr);
    samples[j]!.push(JSON.parse(r.stdout.trim().split('\n').pop()!));
  }
}
child.kill();
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
const cell = (xs: number[]) =>
  `${median(xs).toFixed(1)} ms (${sorted(xs)[0]!.toFixed(1)}–${sorted(xs).at(-1)!.toFixed(1)})`;
console.log(`Node ${process.version}, ${SAMPLES} fresh processes per row, alternating; median (min–max)\n`);
console.log('| client | `createBudget` | `createWallet` | 1st call | 2nd call | 3rd–6th call |');
console.log('|---|---|---|---|---|---|');
for (const [j, { name, mode }] of variants.entries()) {
  const s = samples[j]!;
  console.log(
    `| ${name} | ${mode === 'bare' ? '—' : cell(s.map((x) => x.budgetMs))} | ${mode === 'wallet' ? cell(s.map((x) => x.walletMs)) : '—'} | ${cell(s.map((x) => x.calls[0]!))} | ${cell(s.map((x) => x.calls[1]!))} | ${cell(s.flatMap((x) => x.calls.slice(2)))} |`,
  );
}
