/**
 * A fleet on a Redis Cluster: N processes, each with its own wallet, make paid calls through the paid fetch against
 * the simulator, all under one budget. Used by the fleet test and by `bench/fleet-cluster.ts`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createBudget, createWallet, redisStore } from '@venice-x402/core';
import { startSimulator } from '@venice-x402/simulator';
import { Cluster } from 'ioredis';
import { generatePrivateKey } from 'viem/accounts';
import { startRedisCluster } from '../../packages/core/test/helpers/redis-cluster.js';

const WORKER = fileURLToPath(new URL('./workers/fleet-calls.ts', import.meta.url));

export interface FleetRun {
  /** Per process: outcome → count, and its own wall time. */
  processes: { outcomes: Record<string, number>; ms: number }[];
  /** From the first process started to the last one done (process start-up included). */
  elapsedMs: number;
  /** The budget's ledger: request id → micro-USD. */
  ledger: Map<string, bigint>;
  /** The simulator's charges over every wallet of the fleet: request id → micro-USD. */
  charges: Map<string, bigint>;
  spentMicros: bigint;
  reservedMicros: bigint;
}

export async function runFleet({ processes = 8, calls = 500, capUsd = 0.05 } = {}): Promise<FleetRun> {
  const [cluster, sim] = await Promise.all([startRedisCluster(), startSimulator({ rateLimits: false })]);
  const children = new Set<ChildProcess>();
  const orphans = () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', orphans); // a test that times out takes its processes with it
  const client = new Cluster(cluster.ports.slice(0, 3).map((port) => ({ host: '127.0.0.1', port })));
  try {
    const keys = Array.from({ length: processes }, () => generatePrivateKey());
    const addresses = keys.map((k) => createWallet({ privateKey: k }, { baseURL: sim.baseURL }).address);
    for (const address of addresses) sim.credit(address, 1);
    const prefix = `fleet-${Date.now()}`;
    const started = performance.now();
    const results = await Promise.all(
      keys.map(
        (key) =>
          new Promise<FleetRun['processes'][number]>((resolve, reject) => {
            const child = spawn(process.execPath, ['--conditions=venice-x402-source', '--import', 'tsx', WORKER], {
              env: {
                ...process.env,
                VENICE_WALLET_KEY: key,
                VENICE_BASE_URL: sim.baseURL,
                REDIS_CLUSTER: cluster.ports.slice(0, 3).join(','),
                BUDGET_PREFIX: prefix,
                CAP_USD: String(capUsd),
                CALLS: String(calls),
              },
              stdio: ['ignore', 'pipe', 'inherit'],
            });
            children.add(child);
            let out = '';
            child.stdout.on('data', (d: Buffer) => {
              out += d.toString();
            });
            child.on('exit', (code) => {
              if (code === 0) resolve(JSON.parse(out.trim().split('\n').at(-1)!));
              else reject(new Error(`fleet process exited with ${code}: ${out.slice(-500)}`));
            });
          }),
      ),
    );
    const elapsedMs = performance.now() - started;
    const budget = createBudget({ limits: { totalUsd: capUsd } }, { store: redisStore({ client, prefix }) });
    const report = await budget.report();
    const total = report.windows.find((w) => w.window === 'total')!;
    const charges = new Map<string, bigint>();
    for (const address of addresses)
      for (const [id, micros] of sim.ledger.chargesByRequest(address)) charges.set(id, micros);
    const ledger = new Map([...(await budget.store.requests())].map(([id, r]) => [id, r.micros]));
    return {
      processes: results,
      elapsedMs,
      ledger,
      charges,
      spentMicros: BigInt(Math.round(total.spentUsd * 1e6)),
      reservedMicros: BigInt(Math.round(total.reservedUsd * 1e6)),
    };
  } finally {
    process.off('exit', orphans);
    orphans();
    client.disconnect();
    await Promise.all([cluster.stop(), sim.stop()]);
  }
}
