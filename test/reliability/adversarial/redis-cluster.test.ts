/**
 * The shared budget on a real Redis Cluster (three masters, three replicas): every script declares its keys and
 * one budget's keys share a hash slot, so the cluster can route them — with ioredis and node-redis alike.
 */
import { createBudget, redisStore } from '@venice-x402/core';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, type RedisCluster, startRedisCluster } from '../../../packages/core/test/helpers/redis-cluster.js';

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
  it('a paid call costs two round trips, each write with its WAIT', async () => {
    const client = new Cluster(cluster.ports.slice(0, 3).map((port) => ({ host: '127.0.0.1', port })));
    let trips = 0;
    const pipeline = client.pipeline.bind(client);
    client.pipeline = ((...args: Parameters<typeof pipeline>) => {
      trips++;
      return pipeline(...args);
    }) as typeof client.pipeline;
    const call = client.call.bind(client);
    client.call = ((...args: Parameters<typeof call>) => {
      trips++;
      return call(...args);
    }) as typeof client.call;
    try {
      const budget = createBudget({ limits: { dailyUsd: 1 } }, { store: redisStore({ client, prefix: 'rtt' }) });
      await budget.commit(await budget.reserve({ estimateMicros: 1n }), 1n); // loads the scripts, checks persistence
      trips = 0;
      const master = await cluster.masterOf('{rtt}:spent');
      const waits = async () =>
        Number(/cmdstat_wait:calls=(\d+)/.exec(await cli(master, 'INFO', 'commandstats'))?.[1] ?? 0);
      const before = await waits();
      const outcome = await budget.commit(await budget.reserve({ estimateMicros: 100_000n }), 40_000n);
      expect(trips).toBe(2);
      expect((await waits()) - before).toBe(2);
      expect(outcome.remainingUsd).toBe(0.959999);
    } finally {
      client.disconnect();
    }
  });

  const clients: [string, () => Promise<{ client: any; close(): unknown }>][] = [
    [
      'ioredis',
      async () => {
        const client = new Cluster(cluster.ports.slice(0, 3).map((port) => ({ host: '127.0.0.1', port })));
        return { client, close: () => client.disconnect() };
      },
    ],
    [
      'node-redis',
      async () => {
        const client = createCluster({
          rootNodes: cluster.ports.slice(0, 3).map((p) => ({ url: `redis://127.0.0.1:${p}` })),
        });
        await client.connect();
        return { client, close: () => client.close() };
      },
    ],
  ];
  it.each(clients)(
    '%s: with the replica cut off, a reservation is refused and freed, a commit waits in the journal',
    async (name, connect) => {
      const { client, close } = await connect();
      const prefix = `cut-${name}`;
      const master = await cluster.masterOf(`{${prefix}}:spent`);
      const budget = createBudget(
        { limits: { totalUsd: 1 } },
        { store: redisStore({ client, prefix, replicaTimeoutMs: 100 }) },
      );
      const events: string[] = [];
      budget.on('store-down', (e) => events.push(`down:${e.pending}`));
      budget.on('store-restored', (e) => events.push(`restored:${e.replayed}`));
      // Writes the cluster should confirm are retried while a loaded machine delays the replica past 100 ms.
      const confirmed = async <T>(op: () => Promise<T>): Promise<T> => {
        for (let i = 0; ; i++) {
          try {
            return await op();
          } catch (error) {
            if (i >= 50 || (error as { code?: string }).code !== 'STORE_ERROR') throw error;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      };
      try {
        const paid = await confirmed(() => budget.reserve({ estimateMicros: 100_000n })); // confirmed before the cut
        await cluster.cutReplication(master);
        await expect(budget.reserve({ estimateMicros: 100_000n })).rejects.toMatchObject({
          code: 'STORE_ERROR',
          message: expect.stringMatching(/did not confirm the reservation on 1 replica/),
        });
        expect(await cli(master, 'HLEN', `{${prefix}}:res`)).toBe('1'); // the unconfirmed hold was freed
        await budget.commit(paid, 60_000n, { requestId: 'paid-answer' }); // resolves: journaled, unconfirmed
        await expect(budget.reserve({ estimateMicros: 1n })).rejects.toMatchObject({ code: 'STORE_ERROR' });
        await cluster.restoreReplication(master);
        await budget.release(await confirmed(() => budget.reserve({ estimateMicros: 1n }))); // replays the journal
        expect((await budget.store.requests()).get('paid-answer')?.micros).toBe(60_000n);
        expect((await budget.report()).totalUsd).toBe(0.06);
        expect(events).toEqual(['down:0', 'restored:1']);
      } finally {
        await cluster.restoreReplication(master);
        await close();
      }
    },
  );

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
