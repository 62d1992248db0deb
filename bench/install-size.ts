/**
 * What a user installs: each case is a fresh project where plain `npm install` adds the packed tarballs of this
 * repository (built and `pnpm pack`ed) and what an app of that kind adds from the registry. Per case: node_modules
 * size (`du -sb`), installed packages (package-lock entries), the zod copies, and the cold `import()` of the
 * case's entry package (median of fresh processes).
 * Run: node --import tsx bench/install-size.ts [samples] [folder of tarballs to use instead of packing this tree]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPackages } from '../test/helpers/build-packages.js';
import { zodCopies } from '../test/helpers/installed-tree.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const SAMPLES = Number(process.argv[2] ?? 15);
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

type Case = { name: string; ours: string[]; registry: string[]; entry: string };
const CASES: Case[] = [
  { name: 'ai-sdk app', ours: ['core', 'fetch', 'ai-sdk'], registry: ['ai@^6'], entry: '@venice-x402/ai-sdk' },
  {
    name: 'langchain app',
    ours: ['core', 'fetch', 'langchain'],
    registry: ['@langchain/core@^1'],
    entry: '@venice-x402/langchain',
  },
  {
    name: 'ai-sdk app that lists `zod@^4` itself',
    ours: ['core', 'fetch', 'ai-sdk'],
    registry: ['ai@^6', 'zod@^4'],
    entry: '@venice-x402/ai-sdk',
  },
  { name: 'fetch-only app', ours: ['core', 'fetch'], registry: [], entry: '@venice-x402/fetch' },
  {
    name: '`@ai-sdk/openai-compatible` + `ai` (reference)',
    ours: [],
    registry: ['@ai-sdk/openai-compatible@^2', 'ai@^6'],
    entry: '@ai-sdk/openai-compatible',
  },
];

function pack(given?: string): Record<string, string> {
  const dir = given ?? mkdtempSync(join(tmpdir(), 'vx402-bench-packs-'));
  if (!given) {
    buildPackages();
    for (const name of ['core', 'fetch', 'ai-sdk', 'langchain']) {
      run('pnpm', ['pack', '--pack-destination', dir], join(root, 'packages', name));
    }
  }
  const tarballs: Record<string, string> = {};
  for (const file of readdirSync(dir))
    tarballs[file.replace(/^venice-x402-(.+)-\d+\.\d+\.\d+.*$/, '$1')] = join(dir, file);
  return tarballs;
}

function coldImportMedian(project: string, entry: string): number {
  const code = `const t=performance.now();await import(${JSON.stringify(entry)});console.log(performance.now()-t)`;
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: project, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    times.push(Number(r.stdout.trim()));
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

const tarballs = pack(process.argv[3]);
console.log(
  `Node ${process.version}, npm ${run('npm', ['--version'], root).trim()}, ${SAMPLES} fresh processes per import\n`,
);
console.log('| case | node_modules | packages | zod copies | cold `import()` of entry (median) |');
console.log('|---|---|---|---|---|');
for (const c of CASES) {
  const project = mkdtempSync(join(tmpdir(), 'vx402-bench-app-'));
  try {
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    const specs = [...c.ours.map((p) => tarballs[p]!), ...c.registry];
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], project);
    const bytes = Number(run('du', ['-sb', 'node_modules'], project).split('\t')[0]);
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'));
    const count = Object.keys(lock.packages).filter((k) => k !== '').length;
    const zods = zodCopies(lock);
    const ms = coldImportMedian(project, c.entry);
    const zodText = `${zods.length}${zods.length ? ` (${zods.map((z) => z.version).join(', ')})` : ''}`;
    console.log(
      `| ${c.name} | ${(bytes / 1e6).toFixed(1)} MB | ${count} | ${zodText} | ${ms.toFixed(1)} ms (\`${c.entry}\`) |`,
    );
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}
