#!/usr/bin/env node
// Published: runs the built CLI. In a checkout of the repository (tsconfig.json beside src/) it runs the
// TypeScript sources through tsx, so a stale dist/ can never shadow the code being worked on.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const checkout = existsSync(fileURLToPath(new URL('../tsconfig.json', import.meta.url)));
if (!checkout) {
  await import(new URL('../dist/main.js', import.meta.url).href);
} else {
  const src = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const tsx = import.meta.resolve('tsx');
  const r = spawnSync(
    process.execPath,
    ['--conditions=venice-x402-source', '--import', tsx, src, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
  process.exit(r.status ?? 1);
}
