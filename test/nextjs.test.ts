/**
 * The AI SDK's home: a Next.js App Router app (examples/nextjs) built with a plain `next build` (Turbopack) against
 * the BUILT packages, served by `next start`, and asked a real streaming question through the simulator.
 * Optional peers (the Solana packages) must stay out of the bundle: a user's app does not have them installed.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../packages/core/test/helpers/redis-server.js';
import { buildPackages } from './helpers/build-packages.js';

const app = fileURLToPath(new URL('../examples/nextjs', import.meta.url));
const next = join(app, 'node_modules', 'next', 'dist', 'bin', 'next');
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };

let buildLog = '';
let sim: Simulator;
let server: ChildProcess | undefined;
let url: string;

/** Every file under a folder. */
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );

/** Starts `next start` and resolves once it says it is ready (its output is in the error otherwise). */
function startNext(port: number, extra: Record<string, string>): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [next, 'start', '-p', String(port), '-H', '127.0.0.1'], {
      cwd: app,
      env: { ...env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      if (/Ready/.test(out)) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', (code) => reject(new Error(`next start exited (${code}):\n${out}`)));
  });
}

/** One chat turn over the UI message stream: the streamed text, the chunk types and the message metadata. */
async function ask(text: string) {
  const res = await fetch(`${url}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text }] }] }),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const chunks = (await res.text())
    .split('\n')
    .filter((line) => line.startsWith('data: {'))
    .map((line) => JSON.parse(line.slice(6)));
  const types = chunks.map((c) => c.type);
  const answer = chunks
    .filter((c) => c.type === 'text-delta')
    .map((c) => c.delta)
    .join('');
  const metadata = Object.assign({}, ...chunks.filter((c) => c.messageMetadata).map((c) => c.messageMetadata));
  return { types, answer, metadata, chunks };
}

beforeAll(async () => {
  buildPackages(['core', 'fetch', 'ai-sdk']);
  buildLog = execFileSync(process.execPath, [next, 'build'], { cwd: app, env, encoding: 'utf8', stdio: 'pipe' });
  sim = await startSimulator();
  const key = generatePrivateKey();
  await sim.fund(privateKeyToAccount(key).address, 20); // test USDC: the app's budget tops up $5 on its own
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = await startNext(port, { VENICE_WALLET_KEY: key, VENICE_BASE_URL: sim.baseURL });
}, 400_000);

afterAll(async () => {
  if (server?.pid) process.kill(-server.pid, 'SIGKILL');
  await sim?.stop();
});

describe('Next.js App Router app (examples/nextjs)', () => {
  it('builds with a plain `next build`, without the optional Solana packages in the bundle', () => {
    expect(buildLog).toMatch(/Compiled successfully/);
    expect(buildLog).toMatch(/ƒ \/api\/chat/);
    // Turbopack's source maps name every module it bundled (URL-encoded paths).
    const bundled = files(join(app, '.next', 'server'))
      .filter((f) => f.endsWith('.map'))
      .flatMap((f) => {
        const map = JSON.parse(readFileSync(f, 'utf8'));
        return [map, ...(map.sections ?? []).map((s: any) => s.map)].flatMap((m) => m?.sources ?? []);
      })
      .map((source: string) => decodeURIComponent(source));
    expect(bundled.some((s) => s.includes('packages/core/dist/index.js'))).toBe(true);
    expect(bundled.filter((s) => /node_modules\/(@x402\/svm|@solana\/)/.test(s))).toEqual([]);
  });

  it('streams an answer with a tool call and its cost; one budget serves every request', async () => {
    const first = await ask('What is the weather in Lisbon?');
    expect(first.types).toContain('tool-output-available');
    expect(first.answer.length).toBeGreaterThan(0);
    expect(first.metadata.costUsd).toBeGreaterThan(0);

    const second = await ask('And in Porto?');
    expect(second.answer.length).toBeGreaterThan(0);
    expect(second.metadata.costUsd).toBeGreaterThan(0);
    // Module-level budget: the second request sees what the first one spent.
    expect(second.metadata.budgetRemainingUsd).toBeLessThan(first.metadata.budgetRemainingUsd);
  });
});
