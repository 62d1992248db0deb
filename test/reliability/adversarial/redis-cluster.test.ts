/**
 * The shared budget on a real Redis Cluster (three masters, three replicas): every script declares its keys and
 * one budget's keys share a hash slot, so the cluster can route them — with ioredis and node-redis alike.
 */
import { createBudget, redisStore } from '@venice-x402/core';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCluster, startRedisCluster } from '../../../packages/core/test/helpers/redis-cluster.js';

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);
afterAll(() => cluster?.stop());

/** 500 concurrent paid calls against a $1 cap: never over it, nothing left reserved. */
async function hammer(store: ReturnType<typeof redisStore>) {
  const budget = createBudget({ limits: { dailyUsd: 1 } }, { store });
  let committed = 0n;
  await Promise.all(
    Array.from({ length: 500 }, async (_, i) => {
      try {
        const r = await budget.reserve({ estimateMicros: 5_000n, scope: 'agent:a', model: 'm' });
        const actual = BigInt(2_000 + (i % 3_000));
        await budget.commit(r, actual, { requestId: `r${i}` });
        committed += actual;
      } catch (error) {
        if ((error as { code?: string }).code !== 'BUDGET_EXCEEDED') throw error;
      }
    }),
  );
  const report = await budget.report();
  expect(committed).toBeLessThanOrEqual(1_000_000n);
  expect(report.totalUsd).toBeCloseTo(Number(committed) / 1e6, 9);
  expect(report.windows.every((w) => w.reservedUsd === 0)).toBe(true);
  return committed;
}

describe('redisStore on a Redis Cluster', () => {
  it('ioredis Cluster: the cap holds under 500 concurrent calls', async () => {
    const client = new Cluster(cluster.ports.slice(0, 3).map((port) => ({ host: '127.0.0.1', port })));
    try {
      expect(await hammer(redisStore({ client, prefix: 'fleet-a' }))).toBeGreaterThan(0n);
      // All of one budget's keys sit in one slot: the hash tag is the prefix.
      const keys = (await Promise.all(client.nodes('master').map((n) => n.keys('{fleet-a}:*')))).flat();
      expect(keys.length).toBeGreaterThan(3);
      const slots = new Set(await Promise.all(keys.map((k) => client.cluster('KEYSLOT', k))));
      expect(slots.size).toBe(1);
    } finally {
      client.disconnect();
    }
  });

  it('node-redis cluster client works too', async () => {
    const client = createCluster({
      rootNodes: cluster.ports.slice(0, 3).map((p) => ({ url: `redis://127.0.0.1:${p}` })),
    });
    await client.connect();
    try {
      expect(await hammer(redisStore({ client, prefix: 'fleet-b' }))).toBeGreaterThan(0n);
    } finally {
      await client.close();
    }
  });
});
