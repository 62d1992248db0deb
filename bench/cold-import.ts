/**
 * Cold `import()` of the built packages: each sample a fresh `node` process (plain node, built `dist/`), samples of
 * every package alternating so that load hits all alike. Two figures: the `import()` itself, timed inside the
 * process, and the whole process's wall time beside a bare `node -e ''` (what a CLI or a serverless cold start pays).
 * Run: pnpm build && node --import tsx bench/cold-import.ts [samples] [package…]
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const SAMPLES = Number(process.argv[2] ?? 21);
const named = process.argv.slice(3);
const packages = named.length > 0 ? named : ['@venice-x402/core', '@venice-x402/fetch'];
const targets = ['', ...packages];
const imports = targets.map(() => [] as number[]);
const walls = targets.map(() => [] as number[]);
for (let i = 0; i < SAMPLES; i++) {
  for (const [j, pkg] of targets.entries()) {
    const code = pkg ? `const t=performance.now();await import('${pkg}');console.log(performance.now()-t)` : '';
    const t = performance.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: here, encoding: 'utf8' });
    walls[j]!.push(performance.now() - t);
    if (r.status !== 0) throw new Error(r.stderr);
    if (pkg) imports[j]!.push(Number(r.stdout.trim()));
  }
}
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
const q = (xs: number[], p: number) => sorted(xs)[Math.floor((xs.length - 1) * p)]!;
console.log(`Node ${process.version}, ${SAMPLES} fresh processes per row, alternating\n`);
console.log("| import | `import()` median | p25–p75 | process wall time median | over bare `node -e ''` |");
console.log('|---|---|---|---|---|');
const bare = median(walls[0]!);
for (const [j, pkg] of targets.entries()) {
  const imp = pkg
    ? `${median(imports[j]!).toFixed(1)} ms | ${q(imports[j]!, 0.25).toFixed(1)}–${q(imports[j]!, 0.75).toFixed(1)} ms`
    : '— | —';
  const over = pkg ? `+${(median(walls[j]!) - bare).toFixed(1)} ms` : '—';
  console.log(
    `| ${pkg ? `\`${pkg}\`` : "bare `node -e ''`"} | ${imp} | ${median(walls[j]!).toFixed(1)} ms | ${over} |`,
  );
}
