#!/usr/bin/env node
/**
 * `node test/helpers/build-packages.mjs [name…]`: builds the named packages (all without names) whose dist/ is
 * older than their sources, then records what it built. Tests that need the built packages run it under one lock
 * (build-packages.ts), so a build that starts with `rm -rf dist` never runs while another test reads dist/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const names = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync(join(root, 'packages')).filter((n) => !n.startsWith('.'));
// Stamps live outside dist/ so that no tarball packed from it carries one.
const stamps = join(root, 'node_modules', '.cache', 'venice-x402-build');
const stamp = (name) => join(stamps, `${name}.stamp`);

/** Newest modification time of a file or of anything under a folder. */
function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, entry) => Math.max(max, newest(join(path, entry))), stat.mtimeMs);
}

/** Newest input of a package's build: the stamp records it, so an edit made during a build counts as stale. */
const newestInput = (name) =>
  Math.max(
    ...[join('packages', name, 'src'), join('packages', name, 'package.json'), 'tsup.config.ts'].map((p) =>
      newest(join(root, p)),
    ),
  );

function stale(name) {
  try {
    statSync(join(root, 'packages', name, 'dist', 'index.js'));
    return Number(readFileSync(stamp(name), 'utf8')) < newestInput(name);
  } catch {
    return true;
  }
}

const todo = names.filter(stale);
if (todo.length) {
  const inputs = new Map(todo.map((name) => [name, newestInput(name)]));
  const filters = todo.flatMap((name) => ['--filter', `./packages/${name}`]);
  execFileSync('pnpm', [...filters, 'run', 'build'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  mkdirSync(stamps, { recursive: true });
  for (const name of todo) writeFileSync(stamp(name), String(inputs.get(name)));
}
