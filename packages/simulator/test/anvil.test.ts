import { execSync } from 'node:child_process';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { decode, signTopUp } from './independent-client.js';

// Anvils started by this test process only: other suites (and other processes) may run their own meanwhile.
const anvilCount = () => Number(execSync(`pgrep -c -x -P ${process.pid} anvil || true`).toString().trim() || 0);

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
