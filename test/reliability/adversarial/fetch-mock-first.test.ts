/**
 * Issue 25.2: a fetch mock installed before the library loads (msw, nock) must see every request, the signed ones
 * included; the real server behind it sees nothing. Runs in a child process so the mock really comes first.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chatAnswer, type Hostile, json, startHostile } from './hostile-server.js';

const WORKER = fileURLToPath(new URL('../workers/mock-fetch-first.ts', import.meta.url));
let real: Hostile;
beforeAll(async () => {
  real = await startHostile((_req, res) => json(res, 200, chatAnswer(0.01)));
});
afterAll(() => real.close());

function runWorker(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--conditions=venice-x402-source', '--import', 'tsx', WORKER], {
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += c;
  });
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

it('a fetch mock installed before the import sees the signed call; the real server sees nothing', async () => {
  const baseURL = `${real.url}/api/v1`;
  const { code, stdout, stderr } = await runWorker({ API_BASE: baseURL, WALLET_KEY: generatePrivateKey() });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const out = JSON.parse(stdout);
  expect(out.status).toBe(200);
  expect(out.content).toBe('mocked');
  const chat = out.seen.find((s: { url: string }) => s.url === `${baseURL}/chat/completions`);
  expect(chat).toMatchObject({ method: 'POST', signedIn: true });
  expect(real.seen).toEqual([]);
});
