/**
 * What a user installs: each case is a fresh project where plain `npm install` adds the packed tarballs of this
 * repository (built and `pnpm pack`ed) and what an app of that kind adds from the registry. Per case: node_modules
 * size (`du -sb`), installed packages (package-lock entries), the zod copies, and the cold `import()` of the
 * case's entry package (median of fresh processes, sampled round-robin over all cases so machine load hits each
 * row alike). Given a folder of older tarballs, each of our cases is also installed from those ("before" rows).
 * Run: node --import tsx bench/install-size.ts [samples] [folder of older tarballs]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPackages } from '../test/helpers/build-packages.js';
import { type NpmLock, zodCopies } from '../test/helpers/installed-tree.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const SAMPLES = Number(process.argv[2] ?? 15);
const BEFORE = process.argv[3];
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

type Case = { name: string; ours: string[]; registry: string[]; entry: string };
const CASES: Case[] = [
  { name: 'ai-sdk app', ours: ['core', 'fetch', 'ai-sdk'], registry: ['ai@^6'], entry: '@venice-x402/ai-sdk' },
  {
    name: 'ai-sdk app that lists `zod@^4` itself',
    ours: ['core', 'fetch', 'ai-sdk'],
    registry: ['ai@^6', 'zod@^4'],
    entry: '@venice-x402/ai-sdk',
  },
  {
    name: 'langchain app',
    ours: ['core', 'fetch', 'langchain'],
    registry: ['@langchain/core@^1'],
    entry: '@venice-x402/langchain',
  },
  { name: 'fetch-only app', ours: ['core', 'fetch'], registry: [], entry: '@venice-x402/fetch' },
  {
    name: '`@ai-sdk/openai-compatible` + `ai` (reference)',
    ours: [],
    registry: ['@ai-sdk/openai-compatible@^2', 'ai@^6'],
    entry: '@ai-sdk/openai-compatible',
  },
];

/** Tarballs by package name (`core`, `ai-sdk`, …) in a folder of `pnpm pack` output. */
function tarballsIn(dir: string): Record<string, string> {
  const tarballs: Record<string, string> = {};
  for (const file of readdirSync(dir)) {
    const name = /^venice-x402-(.+)-\d+\.\d+\.\d+.*\.tgz$/.exec(file)?.[1];
    if (name) tarballs[name] = join(dir, file);
  }
  return tarballs;
}

function packThisTree(): Record<string, string> {
  buildPackages();
  const dir = mkdtempSync(join(tmpdir(), 'vx402-bench-packs-'));
  for (const name of ['core', 'fetch', 'ai-sdk', 'langchain']) {
    run('pnpm', ['pack', '--pack-destination', dir], join(root, 'packages', name));
  }
  return tarballsIn(dir);
}

type Row = { label: string; entry: string; project: string; bytes: number; count: number; zods: string; ms: number[] };

function install(label: string, c: Case, tarballs: Record<string, string>): Row {
  const project = mkdtempSync(join(tmpdir(), 'vx402-bench-app-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  const specs = [...c.ours.map((p) => tarballs[p]!), ...c.registry];
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], project);
  const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as NpmLock;
  const zods = zodCopies(lock);
  return {
    label,
    entry: c.entry,
    project,
    bytes: Number(run('du', ['-sb', 'node_modules'], project).split('\t')[0]),
    count: Object.keys(lock.packages).filter((k) => k !== '').length,
    zods: `${zods.length}${zods.length ? ` (${zods.map((z) => z.version).join(', ')})` : ''}`,
    ms: [],
  };
}

function sampleImport(row: Row) {
  const code = `const t=performance.now();await import(${JSON.stringify(row.entry)});console.log(performance.now()-t)`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: row.project, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  row.ms.push(Number(r.stdout.trim()));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const now = packThisTree();
const before = BEFORE ? tarballsIn(BEFORE) : undefined;
const rows: Row[] = [];
try {
  for (const c of CASES) {
    if (before && c.ours.length) rows.push(install(`${c.name}, before`, c, before));
    rows.push(install(before && c.ours.length ? `${c.name}, after` : c.name, c, now));
  }
  for (let i = 0; i < SAMPLES; i++) for (const row of rows) sampleImport(row);
  console.log(
    `Node ${process.version}, npm ${run('npm', ['--version'], root).trim()}, ${SAMPLES} fresh processes per import, round-robin\n`,
  );
  console.log('| case | node_modules | packages | zod copies | cold `import()` of entry (median) |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    const size = `${(r.bytes / 1e6).toFixed(1)} MB`;
    console.log(`| ${r.label} | ${size} | ${r.count} | ${r.zods} | ${median(r.ms).toFixed(1)} ms (\`${r.entry}\`) |`);
  }
} finally {
  for (const r of rows) rmSync(r.project, { recursive: true, force: true });
}
