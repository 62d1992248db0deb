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
    try {
      const budget = createBudget({ limits: { dailyUsd: 1 } }, { store: redisStore({ client, prefix: 'rtt' }) });
      await budget.commit(await budget.reserve({ estimateMicros: 1n }), 1n); // loads the scripts, checks persistence
      const master = await cluster.masterOf('{rtt}:spent');
      const served = async () => {
        const stats = await cli(master, 'INFO', 'commandstats');
        const calls = (verb: string) => Number(new RegExp(`cmdstat_${verb}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
        return { evalsha: calls('evalsha'), wait: calls('wait') };
      };
      const before = await served();
      const outcome = await budget.commit(await budget.reserve({ estimateMicros: 100_000n }), 40_000n);
      const after = await served();
      // Two scripts, each with its WAIT sent behind it on the same connection (no reply awaited in between).
      expect(after.evalsha - before.evalsha).toBe(2);
      expect(after.wait - before.wait).toBe(2);
      expect(outcome.remainingUsd).toBe(0.959999);
    } finally {
      client.disconnect();
    }
  });

  it('checks persistence on the master serving the budget’s slot and on its replica, not on a random node', async () => {
    const prefix = 'volatile-slot';
    const master = await cluster.masterOf(`{${prefix}}:spent`);
    const replica = await cluster.replicaOf(master);
    const attempt = async (kind: 'ioredis' | 'node-redis') => {
      const roots = cluster.ports.slice(0, 3);
      const client: any =
        kind === 'ioredis'
          ? new Cluster(roots.map((port) => ({ host: '127.0.0.1', port })))
          : createCluster({ rootNodes: roots.map((p) => ({ url: `redis://127.0.0.1:${p}` })) });
      if (kind === 'node-redis') await (client as any).connect();
      try {
        const budget = createBudget({}, { store: redisStore({ client, prefix }) });
        return await budget.reserve({ estimateMicros: 1n }).then(
          () => 'accepted',
          (error) => error,
        );
      } finally {
        if (client instanceof Cluster) client.disconnect();
        else await client.close();
      }
    };
    const persistNothing = async (port: number) => {
      await cli(port, 'CONFIG', 'SET', 'appendonly', 'no');
      await cli(port, 'CONFIG', 'SET', 'save', '');
    };
    // RDB snapshots: turning AOF back on would start a rewrite, during which a node will not shut down.
    const persist = (port: number) => cli(port, 'CONFIG', 'SET', 'save', '3600 1');
    try {
      await persistNothing(master);
      // Before, CONFIG went to any node: this budget was accepted 5 times in 6.
      for (const kind of ['ioredis', 'ioredis', 'ioredis', 'node-redis'] as const)
        expect(await attempt(kind)).toMatchObject({
          code: 'STORE_ERROR',
          message: expect.stringMatching(/master serving this budget persists nothing/),
          details: { node: `127.0.0.1:${master}`, role: 'master' },
        });
      await persist(master);
      expect(await attempt('ioredis')).toBe('accepted');
      await persistNothing(replica);
      expect(await attempt('ioredis')).toMatchObject({
        code: 'STORE_ERROR',
        details: { node: `127.0.0.1:${replica}`, role: 'replica' },
      });
    } finally {
      await persist(master);
      await persist(replica);
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
            await new Promise((r) => setTimeout(r, 100)); // kept real: the replica acknowledges on its own time
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
