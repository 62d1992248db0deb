import { execSync } from 'node:child_process';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { decode, signTopUp } from './independent-client.js';

/** Anvil processes descended from `root` (this test process by default): other suites may run their own. */
export function anvilsUnder(root = process.pid): number[] {
  const rows = execSync('ps -eo pid=,ppid=,comm=')
    .toString()
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .map(([pid, ppid, comm]) => ({ pid: Number(pid), ppid: Number(ppid), comm }));
  const mine = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows) {
      if (mine.has(r.ppid) && !mine.has(r.pid)) {
        mine.add(r.pid);
        grew = true;
      }
    }
  }
  return rows.filter((r) => mine.has(r.pid) && r.comm === 'anvil').map((r) => r.pid);
}
const anvilCount = () => anvilsUnder().length;

describe('simulator: anvil chain', () => {
  let sim: Simulator;
  let before: number;
  beforeAll(async () => {
    before = anvilCount();
    sim = await startSimulator({ chain: 'anvil' });
  });
  afterAll(async () => {
    await sim.stop();
    expect(anvilCount()).toBe(before); // the suite leaves no anvil behind
  });

  it('runs real USDC (FiatToken v2.2) at the Base USDC address on chain 8453', async () => {
    expect(await sim.chain!.client.getChainId()).toBe(8453);
    const name = await sim.chain!.client.readContract({
      address: sim.usdc,
      abi: [{ type: 'function', name: 'version', inputs: [], outputs: [{ type: 'string' }], stateMutability: 'view' }],
      functionName: 'version',
    });
    expect(name).toBe('2');
  });

  it('settles a top-up on-chain: payer and payee USDC move by the amount, the tx hash is returned', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    await sim.fund(account.address, 25);
    const payeeBefore = await sim.usdcBalance(sim.payTo);
    const discovery = await (await fetch(`${sim.baseURL}/x402/top-up`, { method: 'POST' })).json();
    const payment = await signTopUp(account, discovery, 12_500_000n);
    const res = await fetch(`${sim.baseURL}/x402/top-up`, { method: 'POST', headers: { 'X-402-Payment': payment } });
    expect(res.status).toBe(200);
    const receipt = decode(res.headers.get('payment-response'));
    expect(receipt).toMatchObject({ success: true, network: 'eip155:8453' });
    const tx = await sim.chain!.client.getTransactionReceipt({ hash: receipt.transaction });
    expect(tx.status).toBe('success');
    expect(await sim.usdcBalance(account.address)).toBe(12_500_000n);
    expect((await sim.usdcBalance(sim.payTo)) - payeeBefore).toBe(12_500_000n);
    expect(sim.ledger.balance(account.address)).toBe(12_500_000n);

    // Replaying the same authorization neither moves funds again nor credits twice.
    const replay = await fetch(`${sim.baseURL}/x402/top-up`, {
      method: 'POST',
      headers: { 'PAYMENT-SIGNATURE': payment },
    });
    expect(replay.status).toBe(200);
    expect(await sim.usdcBalance(account.address)).toBe(12_500_000n);
    expect(sim.ledger.balance(account.address)).toBe(12_500_000n);
  });

  it('refuses a top-up from a wallet without USDC and credits nothing', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const discovery = await (await fetch(`${sim.baseURL}/x402/top-up`, { method: 'POST' })).json();
    const res = await fetch(`${sim.baseURL}/x402/top-up`, {
      method: 'POST',
      headers: { 'PAYMENT-SIGNATURE': await signTopUp(account, discovery, 5_000_000n) },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(sim.ledger.balance(account.address)).toBe(0n);
  });
});

describe('anvil cleanup', () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`a process that started the anvil chain and dies by ${signal} leaves no anvil running`, async () => {
      const { spawn } = await import('node:child_process');
      const src = new URL('../src/index.ts', import.meta.url).pathname;
      const child = spawn(
        process.execPath,
        [
          '--conditions=venice-x402-source',
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          `import { startSimulator } from '${src}'; await startSimulator({ chain: 'anvil' }); console.log('ready'); setInterval(() => {}, 1000);`,
        ],
        { cwd: new URL('..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await new Promise<void>((resolve) => child.stdout!.on('data', (d) => String(d).includes('ready') && resolve()));
      const anvils = anvilsUnder(child.pid);
      expect(anvils).toHaveLength(1);
      child.kill(signal);
      const alive = (pid: number) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      // kept real: anvil is a grandchild (under its guard), whose exit no event of this process reports
      for (let i = 0; i < 100 && alive(anvils[0]!); i++) await new Promise((r) => setTimeout(r, 50));
      expect(alive(anvils[0]!)).toBe(false);
    });
  }
});
