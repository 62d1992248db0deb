/**
 * The CLI as a new user meets it: `wallet new` creates a key (a 0600 file, or printed only when asked), a top-up
 * without USDC says what to run, and money under a cent is shown as it is. Real binary, real simulator.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_JS } from '../packages/cli/src/dashboard/client-script.js';

const BIN = fileURLToPath(new URL('../packages/cli/bin/venice-x402.js', import.meta.url));
let sim: Simulator;
let home: string;

beforeAll(async () => {
  sim = await startSimulator();
  home = mkdtempSync(join(tmpdir(), 'vx402-cli-wallet-'));
});
afterAll(() => sim.stop());

function run(args: string[], env: Record<string, string | undefined> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {
        ...process.env,
        HOME: home,
        VENICE_WALLET_KEY: undefined,
        VENICE_BASE_URL: sim.baseURL,
        VENICE_BUDGET_FILE: join(home, 'budget.jsonl'),
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

describe('venice-x402 wallet new', () => {
  it('writes the key to a 0600 file, prints only the address, and the other commands use the file', async () => {
    const keyFile = join(home, 'agent.key');
    const made = await run(['wallet', 'new', '--key-file', keyFile, '--json']);
    expect(made.code, made.stderr).toBe(0);
    const out = JSON.parse(made.stdout);
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(key).toMatch(/^0x[0-9a-f]{64}$/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(out).toEqual({ address: privateKeyToAccount(key as `0x${string}`).address, keyFile });
    expect(made.stdout + made.stderr).not.toContain(key.slice(2));

    sim.credit(out.address, 1);
    const balance = await run(['balance', '--key-file', keyFile, '--json']);
    expect(balance.code, balance.stderr).toBe(0);
    expect(JSON.parse(balance.stdout)).toMatchObject({ address: out.address, balanceUsd: 1 });
  });

  it('never overwrites a key file', async () => {
    const keyFile = join(home, 'funded.key');
    writeFileSync(keyFile, 'a key that holds funds\n', { mode: 0o600 });
    const again = await run(['wallet', 'new', '--key-file', keyFile]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists: a key file is never overwritten/);
    expect(readFileSync(keyFile, 'utf8')).toBe('a key that holds funds\n');
  });

  it('defaults to ~/.venice-x402/wallet.key; prints the key only with --print-key', async () => {
    const made = await run(['wallet', 'new']);
    expect(made.code, made.stderr).toBe(0);
    const keyFile = join(home, '.venice-x402', 'wallet.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(made.stdout).toContain(privateKeyToAccount(readFileSync(keyFile, 'utf8').trim() as `0x${string}`).address);

    const printed = await run(['wallet', 'new', '--print-key', '--key-file', join(home, 'unused.key'), '--json']);
    expect(printed.code).toBe(0);
    const { address, privateKey } = JSON.parse(printed.stdout);
    expect(privateKeyToAccount(privateKey).address).toBe(address);
    expect(existsSync(join(home, 'unused.key'))).toBe(false);

    const wrong = await run(['wallet', 'create']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/venice-x402 wallet new/);
  });
});

describe('what a CLI user reads', () => {
  it('a top-up without USDC names the CLI command, not a simulator API', async () => {
    const out = await run(['topup', '5', '--yes'], { VENICE_WALLET_KEY: generatePrivateKey() });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/does not hold enough USDC/);
    expect(out.stderr).toMatch(/venice-x402 faucet <address> <usd>/);
    expect(out.stderr).not.toMatch(/sim\.fund/);
  });

  it('limits under a cent: the refusal, spend and the dashboard show them exactly', async () => {
    const policy = join(home, 'tiny.json');
    writeFileSync(policy, JSON.stringify({ limits: { dailyUsd: 0.0005 }, scopes: { 'agent:a': { dailyUsd: 0.005 } } }));
    const key = generatePrivateKey();
    sim.credit(privateKeyToAccount(key).address, 1);
    const env = { VENICE_WALLET_KEY: key, VENICE_BUDGET_FILE: join(home, 'tiny.jsonl') };
    const refused = await run(['chat', 'hi', '--max-tokens', '400', '--policy', policy], env);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/global daily limit \$0\.0005 \(used \$0\.00, this call up to \$0\.\d+\)/);

    const spend = await run(['spend', '--policy', policy], env);
    expect(spend.code, spend.stderr).toBe(0);
    expect(spend.stdout).toMatch(/global\s+daily\s+\$0\.000000\s+\$0\.0005\s/);
    expect(spend.stdout).toMatch(/agent:a\s+daily\s+\$0\.000000\s+\$0\.005\s/);

    const usd2 = new Function(`${/function usd2\(n\) \{[^\n]*\}/.exec(DASHBOARD_JS)![0]}; return usd2;`)();
    expect([0.005, 0.0005, 0.000197, 2, 12.5, 0].map(usd2)).toEqual([
      '$0.005',
      '$0.0005',
      '$0.000197',
      '$2.00',
      '$12.50',
      '$0.00',
    ]);
  });
});
