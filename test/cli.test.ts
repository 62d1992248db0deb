import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../packages/cli/bin/venice-x402.js', import.meta.url));

let sim: Simulator;
let dir: string;
const key = generatePrivateKey();
const address = privateKeyToAccount(key).address;

beforeAll(async () => {
  sim = await startSimulator();
  dir = mkdtempSync(join(tmpdir(), 'vx402-cli-'));
  await sim.fund(address, 50);
});
afterAll(() => sim.stop());

/** Runs the real binary; the key travels in the environment, never in argv. */
function run(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {
        ...process.env,
        VENICE_WALLET_KEY: key,
        VENICE_BASE_URL: sim.baseURL,
        VENICE_BUDGET_FILE: join(dir, 'budget.jsonl'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('venice-x402 CLI (real binary against the simulator)', () => {
  const leaks = (out: { stdout: string; stderr: string }) =>
    expect(out.stdout + out.stderr).not.toContain(key.slice(2));

  it('topup --yes settles and prints the transaction; balance and transactions agree (--json)', async () => {
    const top = await run(['topup', '10', '--yes', '--json']);
    expect(top.code).toBe(0);
    const result = JSON.parse(top.stdout);
    expect(result).toMatchObject({
      amountUsd: 10,
      newBalanceUsd: 10,
      transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    });
    leaks(top);
    const bal = await run(['balance', '--json']);
    expect(bal.code).toBe(0);
    expect(JSON.parse(bal.stdout)).toMatchObject({ address, balanceUsd: 10, canConsume: true });
    const txs = await run(['transactions', '--json']);
    expect(JSON.parse(txs.stdout).transactions[0]).toMatchObject({ type: 'TOP_UP', amount: 10 });
  }, 60_000);

  it('topup without --yes and without a terminal refuses to sign (exit 6)', async () => {
    const out = await run(['topup', '5']);
    expect(out.code).toBe(6);
    expect(out.stderr).toMatch(/to\s+0x[0-9a-fA-F]{40} \(pinned receiver\)/); // the quote is shown before asking
    expect(out.stderr).toMatch(/--yes/);
  });

  it('chat streams, charges the file budget, and spend / reconcile report it', async () => {
    const chat = await run(['chat', 'hello from the cli', '--model', 'qwen3-4b', '--max-tokens', '6']);
    expect(chat.code).toBe(0);
    expect(chat.stdout).toMatch(/Simulated reply/);
    leaks(chat);
    const spend = await run(['spend', '--by', 'model', '--json']);
    const report = JSON.parse(spend.stdout);
    expect(report.rows[0]).toMatchObject({ key: 'qwen3-4b', calls: 1 });
    expect(report.totalUsd).toBeCloseTo(Number(sim.ledger.totalCharged(address)) / 1e6, 9);
    const human = await run(['spend']);
    expect(human.stdout).toMatch(/global/);
    const rec = await run(['reconcile', '--json']);
    expect(rec.code).toBe(0);
    expect(JSON.parse(rec.stdout)).toMatchObject({
      matched: 1,
      mismatched: [],
      missingLocally: [],
      missingRemotely: [],
    });
  }, 60_000);

  it('a budget refusal exits 3 with a JSON error and sends nothing', async () => {
    const policy = join(dir, 'policy.json');
    writeFileSync(policy, JSON.stringify({ limits: { perRequestUsd: 0.000001 } }));
    const before = sim.stats.byRoute['/chat/completions'] ?? 0;
    const out = await run(['chat', 'x', '--policy', policy, '--json', '--budget-file', join(dir, 'other.jsonl')]);
    expect(out.code).toBe(3);
    expect(JSON.parse(out.stdout)).toMatchObject({ code: 'BUDGET_EXCEEDED', exitCode: 3 });
    expect(sim.stats.byRoute['/chat/completions'] ?? 0).toBe(before);
  });

  it('models lists prices; doctor checks key, network, balance and clock', async () => {
    const models = await run(['models', '--json']);
    expect(JSON.parse(models.stdout).find((m: any) => m.id === 'llama-3.3-70b')).toMatchObject({
      input: 0.7,
      output: 2.8,
    });
    const doctor = await run(['doctor', '--json']);
    const report = JSON.parse(doctor.stdout);
    expect(report.checks.map((c: any) => c.check)).toEqual(['wallet key', 'network', 'clock skew', 'balance']);
    expect(doctor.code).toBe(report.ok ? 0 : 1);
  });

  it('reads the key from --key-file, refuses a missing key with exit 2, and never echoes a bad key', async () => {
    const file = join(dir, 'key');
    writeFileSync(file, `${key}\n`);
    const ok = await run(['balance', '--json', '--key-file', file], { VENICE_WALLET_KEY: undefined });
    expect(ok.code).toBe(0);
    const missing = await run(['balance'], { VENICE_WALLET_KEY: '' });
    expect(missing.code).toBe(2);
    const badKey = `0x${'ab'.repeat(31)}zz`;
    const bad = await run(['balance'], { VENICE_WALLET_KEY: badKey });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).not.toContain('abababab');
    const usage = await run(['frobnicate']);
    expect(usage.code).toBe(2);
  });

  it('knows its version and every command’s help; refuses bad option values and keys in argv with exit 2', async () => {
    const version = await run(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect((await run(['version'])).stdout).toBe(version.stdout);
    for (const command of ['serve', 'topup', 'spend']) {
      const own = await run([command, '--help']);
      expect(own.code).toBe(0);
      expect(own.stdout.startsWith(`venice-x402 ${command}`)).toBe(true);
    }
    expect((await run(['help', 'serve'])).stdout).toBe((await run(['serve', '--help'])).stdout);
    const chain = await run(['serve', '--chain', 'foo']);
    expect(chain.code).toBe(2);
    expect(chain.stderr).toMatch(/--chain must be one of ledger, anvil/);
    expect((await run(['chat', 'hi', '--max-tokens', '-5'])).code).toBe(2);
    const keyed = await run(['balance', '--key', key]);
    expect(keyed.code).toBe(2);
    expect(keyed.stderr).toMatch(/shell history.*VENICE_WALLET_KEY.*--key-file/s);
    expect(keyed.stderr).not.toContain(key.slice(2));
  });

  it('a top-up from a wallet without USDC says so in a sentence, not a facilitator code', async () => {
    const out = await run(['topup', '5', '--yes'], { VENICE_WALLET_KEY: generatePrivateKey() });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/does not hold enough USDC/);
    expect(out.stderr).not.toMatch(/invalid_exact_evm/);
  });

  it('faucet funds a new wallet from the simulator; topup --yes still shows what it signs, then the tx', async () => {
    const fresh = generatePrivateKey();
    const freshAddress = privateKeyToAccount(fresh).address;
    const funded = await run(['faucet', freshAddress, '20', '--json']);
    expect(funded.code).toBe(0);
    expect(JSON.parse(funded.stdout)).toMatchObject({ address: freshAddress, usdcBalanceUsd: 20 });
    expect(await sim.usdcBalance(freshAddress)).toBe(20_000_000n);
    const top = await run(['topup', '5', '--yes'], { VENICE_WALLET_KEY: fresh });
    expect(top.code).toBe(0);
    expect(top.stderr).toContain(`from      ${freshAddress}`);
    expect(top.stderr).toContain(`to        ${sim.payTo}`);
    expect(top.stdout).toMatch(/transaction\s+0x[0-9a-f]{64}/);
    const bad = await run(['faucet', 'not-an-address', '5']);
    expect(bad.code).toBe(2);
    const notSim = await run(['faucet', freshAddress, '5', '--base-url', 'http://127.0.0.1:9/api/v1']);
    expect(notSim.code).toBe(2);
    expect(notSim.stderr).toMatch(/venice-x402 serve/);
  });

  it('chat at a zero balance exits 3 and says how to fix it', async () => {
    const empty = generatePrivateKey();
    const out = await run(['chat', 'hi', '--max-tokens', '4'], { VENICE_WALLET_KEY: empty });
    expect(out.code).toBe(3);
    expect(out.stderr).toMatch(/venice-x402 topup/);
  });
});
