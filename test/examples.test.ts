import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { redisServerAvailable } from '../packages/core/test/helpers/redis-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs an example the way its README says (offline), returning its output. */
/** Runs an example to its end; one still running after `limitMs` is killed, so its output shows where it stuck. */
function runExample(
  name: string,
  args: string[] = [],
  limitMs = 50_000,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--conditions=venice-x402-source', '--import', 'tsx', `examples/${name}/index.ts`, ...args],
      {
        cwd: root,
        env: { ...process.env, VENICE_WALLET_KEY: undefined, REDIS_URL: undefined, REDIS_CLUSTER: undefined },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group: a kill also ends the servers it started
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n[killed after ${limitMs} ms]`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, limitMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('examples run offline and check their own output', () => {
  it('rag-paid-embeddings (the demo): top-up on-chain, retrieval, free re-index, spend report', async () => {
    const { code, out } = await runExample('rag-paid-embeddings');
    expect(code, out).toBe(0);
    expect(out).toMatch(/auto top-up of \$10 settled on-chain, tx 0x[0-9a-f]{64}/);
    expect(out).toMatch(/sources: 01-x402\.md/);
    expect(out).toMatch(/sources: 06-threats\.md/);
    expect(out).toMatch(/0 paid calls: every passage was already paid for/);
    expect(out).toMatch(/text-embedding-bge-m3\s+\$0\.\d+/);
    expect(out).toMatch(/on-chain USDC left\s+10\b/);
  }, 60_000);

  it('openai-sdk', async () => {
    const { code, out } = await runExample('openai-sdk');
    expect(code, out).toBe(0);
    expect(out).toMatch(/auto top-up \$10 settled on-chain/);
    expect(out).toMatch(/model asked for price\(\{"symbol":/);
  }, 60_000);

  it('ai-sdk-chat', async () => {
    const { code, out } = await runExample('ai-sdk-chat');
    expect(code, out).toBe(0);
    expect(out).toMatch(/steps: 2/);
    expect(out).toMatch(/BudgetExceededError: Estimated/);
  }, 60_000);

  it('video-job: a video from the AI SDK, a job resumed by a second process, a failed job refunded', async () => {
    const { code, out } = await runExample('video-job');
    expect(code, out).toBe(0);
    expect(out).toMatch(/video\/mp4, \d+ bytes; cost \$0\.35, job [0-9a-f-]{36}/);
    expect(out).toMatch(/PROCESSING after 1 poll\(s\), typical run 145 s/);
    expect(out).toMatch(/resumed [0-9a-f-]{36}: video\/mp4, settled by this process: true/);
    expect(out).toMatch(/JobFailedError: refunded \$0\.35/);
    expect(out).toMatch(/total \$0\.60; simulator charged \$0\.60/);
  }, 60_000);

  it('private-model', async () => {
    const { code, out } = await runExample('private-model');
    expect(code, out).toBe(0);
    expect(out).toMatch(/attested: \{"model":"e2ee-glm-5".*"e2ee":true\}/);
    expect(out).toMatch(/Simulated reply to "And what should I ask my doctor\?"/);
    expect(out).toMatch(/AttestationError: Attestation of tee-qwen3-4b refused: our nonce is not bound/);
  }, 60_000);

  it('langchain-agent', async () => {
    const { code, out } = await runExample('langchain-agent');
    expect(code, out).toBe(0);
    expect(out).toMatch(/\[tool\] Population of/);
    expect(out).toMatch(/over 2 model calls/);
  }, 60_000);

  it('x402-gateway', async () => {
    const { code, out } = await runExample('x402-gateway');
    expect(code, out).toBe(0);
    expect(out.match(/paid \$0\.\d+ for claude-haiku-4-5 \(tx 0x[0-9a-f]{64}\)/g)).toHaveLength(2);
  }, 60_000);

  it.runIf(redisServerAvailable())(
    'fleet-budget-redis: the fleet cap holds across processes',
    async () => {
      const { code, out } = await runExample('fleet-budget-redis', [], 80_000);
      expect(code, out).toBe(0);
      expect(out).toMatch(/≤ cap \$0\.002000: yes/);
      expect(out).toMatch(/refused by the budget/);
      const total = /fleet total \$(\d+\.\d+)/.exec(out)![1];
      expect(out).toContain(`simulator charged $${total}`);
    },
    90_000,
  );

  it.runIf(redisServerAvailable())(
    'fleet-budget-redis --cluster: the same fleet on a three-master Redis Cluster',
    async () => {
      const { code, out } = await runExample('fleet-budget-redis', ['--cluster'], 110_000);
      expect(code, out).toBe(0);
      expect(out).toMatch(/one budget on a Redis Cluster/);
      expect(out).toMatch(/≤ cap \$0\.002000: yes/);
      const total = /fleet total \$(\d+\.\d+)/.exec(out)![1];
      expect(out).toContain(`simulator charged $${total}`);
    },
    120_000,
  );
});
