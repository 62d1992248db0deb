/**
 * A master with a replica that stops acknowledging (SIGSTOP): each WAIT runs out its timeout. Concurrent writes
 * must share WAITs, so a stall costs each call about one timeout, not one per call queued before it (issue
 * "Every new surface" item 19).
 */
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommitArgs } from '../src/budget/store.js';
import { dayOf } from '../src/budget/windows.js';
import { createBudget, redisStore, StoreError } from '../src/index.js';
import { type RedisServer, redisServerAvailable, startRedisServer } from './helpers/redis-server.js';

const hasRedis = redisServerAvailable();
const TIMEOUT_MS = 1000;
let master: RedisServer;
let replica: RedisServer;

beforeAll(async () => {
  if (!hasRedis) return;
  master = await startRedisServer();
  replica = await startRedisServer({ replicaOf: master.port });
});
afterAll(async () => {
  replica?.thaw();
  await replica?.stop();
  await master?.stop();
});

const waitsServed = async (probe: Redis) =>
  Number(/cmdstat_wait:calls=(\d+)/.exec(await probe.info('commandstats'))?.[1] ?? 0);

const clients: [string, () => Promise<{ client: any; close(): unknown }>][] = [
  [
    'ioredis',
    async () => {
      const client = new Redis(master.url);
      return { client, close: () => client.disconnect() };
    },
  ],
  [
    'node-redis',
    async () => {
      const client = await createClient({ url: master.url }).connect();
      return { client, close: () => client.destroy() };
    },
  ],
];

describe.skipIf(!hasRedis)('WAIT with a stalled replica', () => {
  it.each(clients)('%s: 5 concurrent commits share one wait: about one timeout, not five', async (name, connect) => {
    const { client, close } = await connect();
    const probe = new Redis(master.url);
    const store = redisStore({ client, prefix: `stall-${name}`, replicas: 1, replicaTimeoutMs: TIMEOUT_MS });
    const budget = createBudget({ limits: { dailyUsd: 1 } }, { store });
    try {
      // The server knows the scripts (a running fleet), and the holds are confirmed while the replica answers.
      await budget.commit(await budget.reserve({ estimateMicros: 0n }), 0n);
      const holds = await Promise.all(Array.from({ length: 5 }, () => budget.reserve({ estimateMicros: 1_000n })));
      const commits: CommitArgs[] = holds.map((r, i) => ({
        id: r.id,
        actual: 1_000n,
        keys: r.keys,
        usage: { scopes: r.scopes, model: 'm', day: dayOf(Date.now()) },
        requestId: `q${i}`,
        now: Date.now(),
      }));
      const before = await waitsServed(probe);
      replica.freeze();
      const outcomes = await Promise.allSettled(commits.map((args) => store.commit(args)));
      replica.thaw();
      // Applied on the master, unconfirmed: each is a retryable StoreError (the budget journals and replays it).
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        const reason = (outcome as PromiseRejectedResult).reason;
        expect(reason).toBeInstanceOf(StoreError);
        expect(reason.message).toMatch(/did not confirm the commit on 1 replica/);
      }
      // One WAIT covered all five writes (at most two: a write can land just after one was sent). Before, each
      // commit sent its own, and the fifth waited behind four others: ≈ 5 timeouts.
      // The server's count is the proof; no wall-clock bound (the WAIT timeout itself is the server's real time).
      expect((await waitsServed(probe)) - before).toBeLessThanOrEqual(2);
      // Once the replica is back, a replay confirms them: nothing lost, nothing counted twice.
      for (const args of commits) expect((await store.commit({ ...args, replay: true })).ok).toBe(true);
      expect((await budget.report()).totalUsd).toBe(0.005);
      expect((await store.requests()).size).toBe(5);
    } finally {
      replica.thaw();
      await close();
      probe.disconnect();
    }
  });
});

describe.skipIf(!hasRedis)('persistence of the replicas', () => {
  it.each(clients)('%s: a replica that persists nothing is refused like its master would be', async (name, connect) => {
    const { client, close } = await connect();
    const admin = new Redis(replica.url);
    try {
      await admin.config('SET', 'appendonly', 'no');
      await admin.config('SET', 'save', '');
      const budget = createBudget({}, { store: redisStore({ client, prefix: `volatile-${name}` }) });
      await expect(budget.reserve({ estimateMicros: 1n })).rejects.toMatchObject({
        code: 'STORE_ERROR',
        message: expect.stringMatching(/replica .*persists nothing/),
        details: { role: 'replica', node: `127.0.0.1:${replica.port}` },
      });
      await admin.config('SET', 'save', '3600 1'); // RDB snapshots (turning AOF back on would start a rewrite)
      await budget.release(await budget.reserve({ estimateMicros: 1n }));
    } finally {
      await admin.config('SET', 'save', '3600 1');
      admin.disconnect();
      await close();
    }
  });
});
