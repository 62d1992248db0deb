/**
 * A Redis Cluster master dies in the middle of a fleet's paid calls and its replica takes over. Replication is
 * asynchronous, so the test first cuts the master's replication link: from then on the master acknowledges
 * reservations and commits its replica never gets, as it would with a lagging link right before a crash. The store
 * trusts a write only once a replica has it (WAIT): nothing acknowledged is lost, the cap holds.
 */
import { type Budget, createBudget, redisStore } from '@venice-x402/core';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  cli,
  type RedisCluster,
  startRedisCluster,
  waitFor,
} from '../../../packages/core/test/helpers/redis-cluster.js';

const CAP_MICROS = 400_000n; // $0.40
const ESTIMATE = 2_000n;
const AGENTS = 6;

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster({ nodeTimeoutMs: 1000 });
}, 120_000);
afterAll(() => cluster?.stop());

// kept real: a real Redis Cluster fails over on its own time (node timeout 1 s); agents retry meanwhile
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('a master killed mid-run: no commit lost, no overspend, no hold left', async () => {
  const prefix = 'failover';
  const master = await cluster.masterOf(`{${prefix}}:spent`);
  const replica = await cluster.replicaOf(master);
  const clients = Array.from(
    { length: AGENTS + 1 },
    () =>
      new Cluster(
        cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
        { retryDelayOnFailover: 50, slotsRefreshTimeout: 500, redisOptions: { connectTimeout: 500 } },
      ),
  );
  for (const c of clients) c.on('error', () => {}); // the dead master is the point of the test
  const now = () => Date.now();
  const budgets: Budget[] = clients.map((client) =>
    createBudget(
      { limits: { totalUsd: Number(CAP_MICROS) / 1e6 }, reservationTtlSeconds: 10 },
      { store: redisStore({ client, prefix, replicaTimeoutMs: 200 }), now },
    ),
  );
  const paid = new Map<string, bigint>(); // what each agent was told it spent (its commit resolved)
  let failover: Promise<void> | undefined;
  let attempts = 0;
  let failedOver = false;
  const t0 = Date.now();
  const log = (m: string) => process.env.FAILOVER_DEBUG && console.log(Date.now() - t0, m, paid.size, attempts);
  const runFailover = async () => {
    log('cut');
    await cluster.cutReplication(master);
    // The master answers 30 more reservations (and their commits) that its replica never sees.
    const before = attempts;
    await waitFor(async () => attempts >= before + 30);
    log('kill');
    await cluster.kill(master);
    await waitFor(async () => (await cli(replica, 'ROLE')).startsWith('master'));
    log('promoted');
    await cluster.restart(master); // comes back as the new master's replica
    await waitFor(async () => (await cli(master, 'INFO', 'replication')).includes('master_link_status:up'));
    log('rejoined');
    failedOver = true;
  };
  const agent = async (budget: Budget, name: string) => {
    for (let i = 0; ; i++) {
      let hold: Awaited<ReturnType<Budget['reserve']>>;
      try {
        hold = await budget.reserve({ estimateMicros: ESTIMATE, scope: name });
        attempts++;
      } catch (error) {
        attempts++;
        // The cap reached: done, once the failover is over (a store that forgot spend would let them go on).
        if ((error as { code?: string }).code === 'BUDGET_EXCEEDED' && failedOver) return log(`${name} done`);
        if (attempts % 20 === 0) log(`${error} ${(error as Error).cause}`);
        await pause(20); // store down or unconfirmed: try again
        continue;
      }
      if (paid.size >= 40) failover ??= runFailover();
      const actual = 1_000n + BigInt((i * 37) % 1_000);
      const requestId = `${name}-${i}`;
      await budget.commit(hold, actual, { requestId }); // resolves: journaled if the store could not confirm it
      paid.set(requestId, actual);
    }
  };
  try {
    await Promise.all(budgets.slice(1).map((b, i) => agent(b, `agent:${i}`)));
    await failover;
    // Every agent's journal is written back (a reserve replays it first).
    for (const budget of budgets.slice(1)) {
      for (;;) {
        try {
          await budget.release(await budget.reserve({ estimateMicros: 0n }));
          break;
        } catch {
          await pause(50);
        }
      }
    }
    // Holds whose answer the dead master took with it lapse with their TTL, on the new master's clock.
    await waitFor(async () => (await budgets[0]!.store.holds!(now())).length === 0, 30_000);
    const report = await budgets[0]!.report();
    const ledger = await budgets[0]!.store.requests();
    const total = [...paid.values()].reduce((a, b) => a + b, 0n);
    const lost = [...paid].filter(([id, micros]) => ledger.get(id)?.micros !== micros);
    expect(paid.size).toBeGreaterThan(150); // most calls came after the failover (started at 40)
    expect(lost).toEqual([]); // no acknowledged commit lost
    expect(ledger.size).toBe(paid.size); // nothing counted twice or counted that nobody paid
    expect(total).toBeLessThanOrEqual(CAP_MICROS); // no overspend
    const window = report.windows.find((w) => w.window === 'total')!;
    expect(window.spentUsd).toBeCloseTo(Number(total) / 1e6, 9);
    expect(window.reservedUsd).toBe(0);
    expect(await budgets[0]!.store.holds!(now())).toEqual([]);
  } finally {
    for (const c of clients) c.disconnect();
  }
}, 120_000);
