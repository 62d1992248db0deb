/**
 * Settled job records (failed, completed) expire after the store's retention; a queued or delivered one never does,
 * however old: on every store (memory, file with replay and compaction, a real redis-server).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BudgetStore, ConfigError, fileStore, type JobRecord, memoryStore, redisStore } from '../src/index.js';
import { type RedisServer, redisServerAvailable, startRedisServer } from './helpers/redis-server.js';

const hasRedis = redisServerAvailable();
let redis: RedisServer | undefined;
let client: Redis | undefined;
let prefixes = 0;

beforeAll(async () => {
  if (!hasRedis) return;
  redis = await startRedisServer();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

type Open = (options: { jobRetentionMs?: number }) => { store: BudgetStore; reopen: () => BudgetStore };

const stores: [string, Open][] = [
  [
    'memory',
    (options) => {
      const store = memoryStore(options);
      return { store, reopen: () => store };
    },
  ],
  [
    'file',
    (options) => {
      const path = join(mkdtempSync(join(tmpdir(), 'vx402-jobs-')), 'b.jsonl');
      return { store: fileStore(path, options), reopen: () => fileStore(path, options) };
    },
  ],
  ...(hasRedis
    ? [
        [
          'redis',
          (options: { jobRetentionMs?: number }) => {
            const prefix = `jobs-retention${++prefixes}`;
            return {
              store: redisStore({ client: client!, prefix, ...options }),
              reopen: () => redisStore({ client: client!, prefix, ...options }),
            };
          },
        ] as [string, Open],
      ]
    : []),
];

const YEAR = 365 * 86_400_000;

const job = (id: string, over: Partial<JobRecord> = {}): JobRecord => ({
  id,
  kind: 'video',
  model: 'wan-2.5',
  quoteMicros: 350_000n,
  scopes: ['global'],
  at: Date.now(),
  state: 'queued',
  updatedAt: Date.now(),
  ...over,
});

/** Four jobs: one completed, one failed, one delivered (not cleaned up), one queued a year ago (a long poll). */
async function settleSome(store: BudgetStore) {
  const save = (j: JobRecord, expected: JobRecord['state'] | null) => store.saveJob!(j, expected);
  const old = Date.now() - YEAR;
  expect(await save(job('done'), null)).toBe(true);
  expect(await save(job('done', { state: 'delivered' }), 'queued')).toBe(true);
  expect(await save(job('done', { state: 'completed' }), 'delivered')).toBe(true);
  expect(await save(job('failed'), null)).toBe(true);
  expect(await save(job('failed', { state: 'failed', refundedMicros: 350_000n }), 'queued')).toBe(true);
  expect(await save(job('delivered'), null)).toBe(true);
  expect(await save(job('delivered', { state: 'delivered' }), 'queued')).toBe(true);
  expect(await save(job('queued-long-ago', { at: old, updatedAt: old }), null)).toBe(true);
}

const ids = async (store: BudgetStore) => (await store.jobs!()).map((j) => j.id).sort();

describe.each(stores)('%s store: job record retention', (_name, open) => {
  it('forgets settled job records past their retention, never an unsettled one', async () => {
    const { store, reopen } = open({ jobRetentionMs: 0 });
    await settleSome(store);
    // The next write is when a store forgets: retention 0 makes every settled record old at once.
    expect(await store.saveJob!(job('next'), null)).toBe(true);
    expect(await ids(store)).toEqual(['delivered', 'next', 'queued-long-ago']);
    expect(await store.job!('done')).toBeUndefined();
    const again = reopen();
    expect(await ids(again)).toEqual(['delivered', 'next', 'queued-long-ago']);
    // The unsettled ones still settle (compare-and-set on their state).
    expect(await again.saveJob!(job('delivered', { state: 'completed' }), 'delivered')).toBe(true);
    expect(await again.saveJob!(job('queued-long-ago', { state: 'delivered' }), 'queued')).toBe(true);
    if ('compact' in again) await (again as { compact(): Promise<void> }).compact();
    expect(await again.saveJob!(job('after'), null)).toBe(true);
    expect(await ids(reopen())).toEqual(['after', 'next', 'queued-long-ago']);
    await store.close();
  });

  it('keeps settled job records within their retention (default 7 days)', async () => {
    const { store, reopen } = open({});
    await settleSome(store);
    expect(await store.saveJob!(job('next'), null)).toBe(true);
    const all = ['delivered', 'done', 'failed', 'next', 'queued-long-ago'];
    expect(await ids(store)).toEqual(all);
    expect(await ids(reopen())).toEqual(all);
    expect((await store.job!('failed'))?.refundedMicros).toBe(350_000n);
    await store.close();
  });

  it('refuses a retention that is not whole milliseconds from 0 to ten years', () => {
    for (const jobRetentionMs of [-1, 1.5, Number.NaN, 20 * YEAR]) {
      expect(() => open({ jobRetentionMs })).toThrow(ConfigError);
    }
  });
});
