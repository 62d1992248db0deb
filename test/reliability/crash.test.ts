/**
 * SIGKILL a process in the middle of paid calls with a file-store budget, reopen the store and reconcile
 * with the simulator: nothing durable is lost, nothing is double counted, and what the kill interrupted is
 * exactly what reconcile reports.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBudget, createWallet, fileStore, reconcile } from '@venice-x402/core';
import { startSimulator } from '@venice-x402/simulator';
import { generatePrivateKey } from 'viem/accounts';
import { expect, it } from 'vitest';

const WORKER = fileURLToPath(new URL('./workers/paid-calls.ts', import.meta.url));

it('a SIGKILLed spender loses no durable commit and double counts nothing', async () => {
  const sim = await startSimulator();
  try {
    const key = generatePrivateKey();
    const wallet = createWallet({ privateKey: key }, { baseURL: sim.baseURL });
    sim.credit(wallet.address, 10);
    const file = join(mkdtempSync(join(tmpdir(), 'vx402-crash-')), 'budget.jsonl');
    const durable = new Map<string, bigint>();
    const child = spawn(process.execPath, ['--conditions=venice-x402-source', '--import', 'tsx', WORKER], {
      env: { ...process.env, VENICE_WALLET_KEY: key, VENICE_BASE_URL: sim.baseURL, BUDGET_FILE: file },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffer = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        buffer += d.toString();
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const m = /^durable (\S+) (\d+)$/.exec(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
          if (m) durable.set(m[1]!, BigInt(m[2]!));
          if (durable.size === 150 && child.exitCode === null) child.kill('SIGKILL');
        }
      });
      child.on('exit', () => resolve());
    });
    expect(durable.size).toBeGreaterThanOrEqual(150);

    const store = fileStore(file);
    const ledger = await store.requests();
    const charged = sim.ledger.chargesByRequest(wallet.address);
    for (const [id, micros] of durable) expect(ledger.get(id)?.micros).toBe(micros); // nothing durable lost
    for (const [id, record] of ledger) expect(charged.get(id)).toBe(record.micros); // nothing counted that was not charged
    const interrupted = [...charged.keys()].filter((id) => !ledger.has(id));
    expect(interrupted.length).toBeLessThanOrEqual(5); // at most what was in flight (the per-wallet limit)

    const budget = createBudget({ limits: { totalUsd: 100 } }, { store });
    const report = await reconcile(budget, wallet);
    expect(report.mismatched).toEqual([]);
    expect(report.missingRemotely).toEqual([]);
    expect(report.missingLocally.map((d) => d.requestId).sort()).toEqual(interrupted.sort());
    await budget.close();
  } finally {
    await sim.stop();
  }
}, 60_000);
