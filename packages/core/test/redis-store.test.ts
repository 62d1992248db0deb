/**
 * The Redis store against a real redis-server: encodings where names are data, scripts that validate before they
 * write, commits that are idempotent when a client resends them, the server's clock deciding what is expired,
 * and a bounded ledger (issue "Every new surface" items 10, 11, 12, 14, 20; "By construction" item 3).
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { CommitArgs } from '../src/budget/store.js';
import { dayOf } from '../src/budget/windows.js';
import { BudgetExceededError, type BudgetStore, createBudget, redisStore, StoreInputError } from '../src/index.js';
import { encodeCounterKey } from '../src/internal.js';
import { useRedis } from './helpers/budget-stores.js';
import { startRedisServer } from './helpers/redis-server.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

const redis = useRedis({ optional: true });
const hasRedis = redis.available;
const HOUR = 3_600_000;

/** Polls `check` until it holds (a real outcome, such as the server's clock passing a hold's expiry). */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setImmediate(r));
    }
  }
}

const serverNow = async () => {
  const [s, us] = (await redis.client.time()) as [number, number];
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
};

describe.skipIf(!hasRedis)('names are data (issue 25.12)', () => {
  it('a comma in a scope name: 20 × $0.40 from tenant:evil,global against a $1 global daily limit, 2 go through', async () => {
    const budget = createBudget(
      { limits: { dailyUsd: 1 }, scopes: { 'tenant:evil,global': { dailyUsd: 100 } } },
      { store: redisStore({ client: redis.client, prefix: redis.prefix('rs') }) },
    );
    let through = 0;
    for (let i = 0; i < 20; i++) {
      try {
        await budget.commit(await budget.reserve({ estimateMicros: 400_000n, scope: 'tenant:evil,global' }), 400_000n);
        through++;
      } catch (error) {
        expect(error).toBeInstanceOf(BudgetExceededError);
      }
    }
    expect(through).toBe(2);
    const report = await budget.report();
    expect(report.totalUsd).toBe(0.8);
    expect(report.windows.every((w) => w.reservedUsd === 0)).toBe(true);
  });

  it('tenant:Acme, Inc. leaks nothing: released holds free every counter they held', async () => {
    const store = redisStore({ client: redis.client, prefix: redis.prefix('rs') });
    const budget = createBudget(
      { limits: { dailyUsd: 1, hourlyUsd: 1 }, scopes: { 'tenant:Acme, Inc.': { dailyUsd: 0.5 } } },
      { store },
    );
    for (let i = 0; i < 10; i++)
      await budget.release(await budget.reserve({ estimateMicros: 400_000n, scope: 'tenant:Acme, Inc.' }));
    expect(await store.holds!(Date.now())).toEqual([]);
    expect((await budget.report()).windows.every((w) => w.reservedUsd === 0)).toBe(true);
    expect(await budget.remaining('tenant:Acme, Inc.')).toBe(0.5);
  });

  it('a | in a model name files spend under the day it was spent', async () => {
    const store = redisStore({ client: redis.client, prefix: redis.prefix('rs') });
    const budget = createBudget({}, { store });
    const model = 'gateway|2099-12-31';
    await budget.commit(await budget.reserve({ estimateMicros: 5n, model, scope: 'a|b' }), 5n);
    const today = dayOf(Date.now());
    expect(await store.usage()).toEqual(
      expect.arrayContaining([
        { scope: 'global', model, day: today, micros: 5n, calls: 1 },
        { scope: 'a|b', model, day: today, micros: 5n, calls: 1 },
      ]),
    );
    expect((await budget.report({ by: 'model' })).rows).toEqual([
      { key: model, spentUsd: 0.000005, spentMicros: 5n, calls: 1 },
    ]);
  });
});

describe.skipIf(!hasRedis)('names that look like structure', () => {
  it('quotes, brackets, emoji and a lone surrogate (a hostile gateway’s model) are stored as names', async () => {
    const store = redisStore({ client: redis.client, prefix: redis.prefix('rs') });
    const scope = '["global","d:2026-11-23"]';
    const budget = createBudget({ limits: { dailyUsd: 1 }, scopes: { [scope]: { dailyUsd: 0.5 } } }, { store });
    await budget.commit(await budget.reserve({ estimateMicros: 5n, model: 'm\ud800', scope }), 5n, {
      requestId: 'q"😀\udc00',
    });
    expect(await store.usage()).toEqual(
      expect.arrayContaining([{ scope, model: 'm\ud800', day: dayOf(Date.now()), micros: 5n, calls: 1 }]),
    );
    // A request id is a Redis field, and Redis strings are UTF-8: a lone surrogate is stored as U+FFFD.
    expect([...(await store.requests()).keys()]).toEqual(['q"😀\ufffd']);
    expect(await budget.remaining(scope)).toBe(0.499995);
  });
});

describe.skipIf(!hasRedis)('scripts validate all input before they write (issue 25.11)', () => {
  const usage = { scopes: ['global'], model: 'm', day: dayOf(Date.now()) };
  const reserveArgs = (id: string) => ({
    id,
    amount: 100_000n,
    counters: [{ key: encodeCounterKey('global', `d:${usage.day}`), limit: 1_000_000n }],
    expiresAt: Date.now() + 60_000,
    now: Date.now(),
  });

  it('a server answering cost.usd = 1e13: the commit is refused whole, the hold stays, a valid commit still lands', async () => {
    const store = redisStore({ client: redis.client, prefix: redis.prefix('rs') });
    await store.reserve(reserveArgs('r1'));
    const key = reserveArgs('r1').counters[0]!.key;
    const absurd: CommitArgs = { id: 'r1', actual: 10n ** 19n, keys: [key], usage, requestId: 'q1', now: Date.now() };
    const error = await store.commit(absurd).catch((e) => e);
    expect(error).toBeInstanceOf(StoreInputError);
    expect(error).toMatchObject({ retryable: false, details: { field: 'actual' } });
    expect(error.message).toMatch(/refused a commit: actual must be whole micro-USD/);
    // Nothing was written: the hold is still held, the id is not settled, nothing was counted.
    expect((await store.holds!(Date.now())).map((h) => [h.id, h.micros])).toEqual([['r1', 100_000n]]);
    expect((await store.counters([key], Date.now())).get(key)).toEqual({ spent: 0n, reserved: 100_000n });
    expect((await store.requests()).size).toBe(0);
    const ok = await store.commit({ ...absurd, actual: 250_000n });
    expect(ok).toEqual({ ok: true, counters: new Map([[key, { spent: 250_000n, reserved: 0n }]]) });
  });

  it('refuses amounts, limits, TTLs and keys out of bounds with a typed error naming the field, holding nothing', async () => {
    const store = redisStore({ client: redis.client, prefix: redis.prefix('rs') });
    const base = reserveArgs('bad');
    const cases: [string, Parameters<BudgetStore['reserve']>[0]][] = [
      ['amount', { ...base, amount: 10n ** 15n + 1n }],
      ['amount', { ...base, amount: -1n }],
      ['amount', { ...base, amount: 0.5 as unknown as bigint }],
      ['counters[0].limit', { ...base, counters: [{ key: base.counters[0]!.key, limit: 10n ** 16n }] }],
      ['counters[0].key', { ...base, counters: [{ key: '', limit: 1n }] }],
      ['ttl', { ...base, expiresAt: Number.NaN }],
      ['id', { ...base, id: '' }],
    ];
    for (const [field, args] of cases) {
      const error = await store.reserve(args).catch((e) => e);
      expect(error, field).toBeInstanceOf(StoreInputError);
      expect(error.details.field, field).toBe(field);
      expect(error.retryable).toBe(false);
    }
    expect(await store.holds!(Date.now())).toEqual([]);
  });

  it('adds micro-USD exactly past 2^53 (Lua numbers are doubles)', async () => {
    const store = redisStore({ client: redis.client, prefix: redis.prefix('rs') });
    const budget = createBudget({}, { store });
    for (let i = 0; i < 10; i++)
      await budget.commit(await budget.reserve({ estimateMicros: 0n }), 10n ** 15n, { requestId: 'big' });
    await budget.commit(await budget.reserve({ estimateMicros: 0n }), 1n, { requestId: 'big' });
    expect((await store.requests()).get('big')?.micros).toBe(10n ** 16n + 1n);
    expect((await store.usage())[0]?.micros).toBe(10n ** 16n + 1n);
  });
});

describe.skipIf(!hasRedis)('a commit applied once is success when it is sent again (issue 25.10)', () => {
  it('the same id at the same amount twice is success and counts once; another amount is refused', async () => {
    const store = redisStore({ client: redis.client, prefix: redis.prefix('rs') });
    const budget = createBudget({ limits: { dailyUsd: 1 } }, { store });
    const r = await budget.reserve({ estimateMicros: 100_000n });
    const args: CommitArgs = {
      id: r.id,
      actual: 40_000n,
      keys: r.keys,
      usage: { scopes: r.scopes, model: 'm', day: dayOf(Date.now()) },
      requestId: 'q',
      now: Date.now(),
    };
    const first = await store.commit(args);
    const again = await store.commit(args); // what ioredis sends after a reconnect
    expect(again).toEqual(first);
    expect(first.ok && first.counters.get(r.keys[0]!)).toEqual({ spent: 40_000n, reserved: 0n });
    expect(await store.commit({ ...args, actual: 40_001n })).toEqual({ ok: false });
    expect((await store.requests()).get('q')?.micros).toBe(40_000n);
    expect((await budget.report()).totalUsd).toBe(0.04);
    // A release is settled once too: sent again it is still a success; a commit after it is not.
    const released = await budget.reserve({ estimateMicros: 1n });
    expect(await store.release(released.id, Date.now())).toBe(true);
    expect(await store.release(released.id, Date.now())).toBe(true);
    expect(await store.commit({ ...args, id: released.id })).toEqual({ ok: false });
    expect(await store.release(r.id, Date.now())).toBe(false);
  });

  it('a default ioredis client resends a commit across a server restart: the paid answer is kept, counted once', async () => {
    const own = await startRedisServer();
    const proxy = await startTcpProxy(own.port);
    const agent = new Redis(proxy.port, '127.0.0.1'); // defaults, as the README shows
    agent.on('error', () => {});
    const prefix = redis.prefix('rs');
    const budget = createBudget({ limits: { dailyUsd: 1 } }, { store: redisStore({ client: agent, prefix }) });
    try {
      await budget.commit(await budget.reserve({ estimateMicros: 0n }), 0n); // the server has the scripts
      const r = await budget.reserve({ estimateMicros: 100_000n });
      proxy.dropReplies(); // the server runs the commit; its answer is lost with the connection
      const committing = budget.commit(r, 40_000n, { requestId: 'paid' });
      const direct = new Redis(own.url);
      await eventually(async () => expect(await direct.hexists(`{${prefix}}:res`, r.id)).toBe(0));
      direct.disconnect();
      proxy.cut();
      proxy.retarget(await own.restart());
      proxy.restore(); // ioredis reconnects and sends the commit again
      await expect(committing).resolves.toEqual({ remainingUsd: 0.96 });
      expect((await budget.store.requests()).get('paid')?.micros).toBe(40_000n);
      expect((await budget.report()).totalUsd).toBe(0.04);
    } finally {
      agent.disconnect();
      await proxy.close();
      await own.stop();
    }
  });

  it('remembers settled ids for a bounded time: two generations, rotated by the server clock', async () => {
    const prefix = redis.prefix('rs');
    const store = redisStore({ client: redis.client, prefix });
    const budget = createBudget({}, { store });
    const r = await budget.reserve({ estimateMicros: 5n });
    const args: CommitArgs = {
      id: r.id,
      actual: 5n,
      keys: r.keys,
      usage: { scopes: r.scopes, model: 'm', day: dayOf(Date.now()) },
      now: Date.now(),
    };
    expect((await store.commit(args)).ok).toBe(true);
    const rotate = async () => {
      await redis.client.hset(`{${prefix}}:meta`, 'rotatedAt', String((await serverNow()) - 3 * 86_400_000 - 1));
      await store.counters([], Date.now()); // sweeps
    };
    await rotate();
    expect(await redis.client.hexists(`{${prefix}}:settled-old`, r.id)).toBe(1);
    expect((await store.commit(args)).ok).toBe(true); // still known
    await rotate();
    expect(await redis.client.exists(`{${prefix}}:settled-old`, `{${prefix}}:settled`)).toBe(0);
    expect(await store.commit(args)).toEqual({ ok: false }); // forgotten: an unknown id is not applied
  });
});

describe.skipIf(!hasRedis)('the server’s clock decides what is old or expired (issue 25.14)', () => {
  it('a client whose clock runs 49 h ahead does not delete today’s counters for everyone', async () => {
    const prefix = redis.prefix('rs');
    const policy = { limits: { dailyUsd: 1, hourlyUsd: 1 } };
    const healthy = createBudget(policy, { store: redisStore({ client: redis.client, prefix }) });
    const skewed = createBudget(policy, {
      store: redisStore({ client: redis.client, prefix }),
      now: () => Date.now() + 49 * HOUR,
    });
    await healthy.commit(await healthy.reserve({ estimateMicros: 600_000n }), 600_000n);
    await skewed.commit(await skewed.reserve({ estimateMicros: 1n }), 1n);
    await skewed.remaining(); // reads counters (a sweep) on its clock too
    await expect(healthy.reserve({ estimateMicros: 600_000n })).rejects.toBeInstanceOf(BudgetExceededError);
    expect(await healthy.remaining()).toBe(0.4);
  });

  it('a process whose clock runs ahead by more than the TTL does not expire other agents’ live holds', async () => {
    const prefix = redis.prefix('rs');
    const policy = { limits: { dailyUsd: 0.1 }, reservationTtlSeconds: 60 };
    const a = createBudget(policy, { store: redisStore({ client: redis.client, prefix }) });
    const b = createBudget(policy, {
      store: redisStore({ client: redis.client, prefix }),
      now: () => Date.now() + 2 * 60_000,
    });
    const held = await a.reserve({ estimateMicros: 100_000n });
    await expect(b.reserve({ estimateMicros: 100_000n })).rejects.toBeInstanceOf(BudgetExceededError);
    await a.commit(held, 100_000n);
    expect((await a.report()).totalUsd).toBe(0.1);
  });

  it('a hold expires by the server’s clock even when the caller’s clock stands still', async () => {
    const frozen = Date.UTC(2026, 10, 24, 12);
    const budget = createBudget(
      { limits: { totalUsd: 0.1 }, reservationTtlSeconds: 0.2 },
      { store: redisStore({ client: redis.client, prefix: redis.prefix('rs') }), now: () => frozen },
    );
    await budget.reserve({ estimateMicros: 100_000n }); // never settled: its process "died"
    await expect(budget.reserve({ estimateMicros: 100_000n })).rejects.toBeInstanceOf(BudgetExceededError);
    await eventually(() => budget.reserve({ estimateMicros: 100_000n }));
  });

  it('renew moves the expiry on the server’s clock; a swept hold cannot be renewed, its late commit counts once', async () => {
    const prefix = redis.prefix('rs');
    const store = redisStore({ client: redis.client, prefix });
    const frozen = Date.UTC(2026, 10, 24, 12);
    const budget = createBudget(
      { limits: { totalUsd: 0.1 }, reservationTtlSeconds: 0.3 },
      { store, now: () => frozen },
    );
    const live = await budget.reserve({ estimateMicros: 100_000n });
    const firstExpiry = Number(await redis.client.zscore(`{${prefix}}:exp`, live.id));
    // Renewed until the server's clock is past the first expiry: still held.
    await eventually(async () => {
      await budget.renew(live);
      expect(await serverNow()).toBeGreaterThan(firstExpiry + 50);
    });
    await expect(budget.reserve({ estimateMicros: 1n })).rejects.toBeInstanceOf(BudgetExceededError);
    // Left alone, it lapses; renewing it then changes nothing.
    const next = await eventually(() => budget.reserve({ estimateMicros: 100_000n }));
    expect(await store.renew(live.id, frozen + 300, frozen)).toBe(false);
    await budget.release(next);
    await budget.commit(live, 50_000n); // a late commit of an expired hold still counts, once
    await expect(budget.commit(live, 60_000n)).rejects.toMatchObject({ code: 'RESERVATION_SETTLED' });
    expect((await budget.report()).totalUsd).toBe(0.05);
  });

  it('holds() tells live holds by the server’s clock, their expiry on the caller’s', async () => {
    const store = redisStore({ client: redis.client, prefix: redis.prefix('rs') });
    const caller = Date.UTC(2026, 10, 24, 12);
    await store.reserve({ id: 'h', amount: 7n, counters: [], expiresAt: caller + 60_000, now: caller });
    const [hold] = await store.holds!(caller);
    expect(hold).toMatchObject({ id: 'h', micros: 7n, keys: [] });
    expect(hold!.expiresAt).toBeGreaterThan(caller + 55_000);
    expect(hold!.expiresAt).toBeLessThanOrEqual(caller + 60_000);
  });
});

describe.skipIf(!hasRedis)('the ledger is bounded (issue 25.20)', () => {
  it('keeps request records per month with an expiry, and reads them with HSCAN a page at a time', async () => {
    const prefix = redis.prefix('rs');
    const verbs: string[] = [];
    const counting = {
      call: (command: string, ...args: (string | number)[]) => {
        verbs.push(command.toUpperCase());
        return redis.client.call(command, ...args);
      },
    };
    const store = redisStore({ client: counting, prefix });
    const budget = createBudget({}, { store });
    await Promise.all(
      Array.from({ length: 1500 }, async (_, i) =>
        budget.commit(await budget.reserve({ estimateMicros: 1n }), 1n, { requestId: `q${i}` }),
      ),
    );
    const month = dayOf(Date.now()).slice(0, 7);
    const ttl = await redis.client.ttl(`{${prefix}}:req:${month}`);
    expect(ttl).toBeGreaterThan(61 * 86_400);
    expect(ttl).toBeLessThanOrEqual(62 * 86_400);
    expect(await redis.client.exists(`{${prefix}}:req`)).toBe(0);
    verbs.length = 0;
    const ledger = await store.requests();
    expect(ledger.size).toBe(1500);
    expect(ledger.get('q7')).toEqual({ micros: 1n, ambiguous: false });
    expect(verbs.filter((v) => v === 'HSCAN').length).toBeGreaterThan(1);
    expect(verbs).not.toContain('HGETALL');
  });
});

describe.skipIf(!hasRedis)('a budget written by version 0.1 (issue 29.3)', () => {
  it('is migrated once, atomically, on first use: counters, windows, holds, usage and the ledger', async () => {
    const prefix = redis.prefix('rs');
    const P = `{${prefix}}:`;
    const today = dayOf(Date.now());
    const day = `d:${today}`;
    const acme = 'tenant:Acme, Inc.';
    const ends = Date.parse(`${today}T00:00:00Z`) + 2 * 86_400_000;
    // The 0.1 layout, written with raw commands.
    await redis.client.hset(`${P}spent`, `global|${day}`, '300000', `${acme}|${day}`, '100000', 'global|t', '300000');
    await redis.client.hset(`${P}reserved`, `global|${day}`, '50000', `${acme}|${day}`, '50000');
    await redis.client.zadd(`${P}wins`, String(ends), `global|${day}`, String(ends), `${acme}|${day}`);
    await redis.client.hset(`${P}res`, 'old-hold', `50000|global|${day},${acme}|${day}`);
    await redis.client.zadd(`${P}exp`, String(Date.now() + 600_000), 'old-hold');
    await redis.client.hset(`${P}usage`, `global|gw|x|${today}`, '300000', `${acme}|gw|x|${today}`, '100000');
    await redis.client.hset(`${P}calls`, `global|gw|x|${today}`, '3', `${acme}|gw|x|${today}`, '1');
    await redis.client.hset(`${P}req`, 'req-1', '300000|0', 'req-2', '5|1');
    await redis.client.sadd(`${P}settled:${today}`, 'done-before');

    const policy = { limits: { dailyUsd: 1, totalUsd: 10 }, scopes: { [acme]: { dailyUsd: 0.2 } } };
    const store = redisStore({ client: redis.client, prefix });
    const budget = createBudget(policy, { store });
    // Acme spent $0.10 and holds $0.05 of its $0.20 a day.
    await expect(budget.reserve({ estimateMicros: 60_000n, scope: acme })).rejects.toMatchObject({
      details: { scope: acme, limit: 'daily' },
    });
    expect(await budget.remaining(acme)).toBe(0.05);
    expect(await store.holds!(Date.now())).toMatchObject([
      { id: 'old-hold', micros: 50_000n, keys: [encodeCounterKey('global', day), encodeCounterKey(acme, day)] },
    ]);
    expect(await store.release('old-hold', Date.now())).toBe(true);
    expect(await budget.remaining(acme)).toBe(0.1);
    expect(await budget.remaining()).toBe(0.7);
    expect(await store.usage()).toEqual(
      expect.arrayContaining([
        { scope: 'global', model: 'gw|x', day: today, micros: 300_000n, calls: 3 },
        { scope: acme, model: 'gw|x', day: today, micros: 100_000n, calls: 1 },
      ]),
    );
    expect(await store.requests()).toEqual(
      new Map([
        ['req-1', { micros: 300_000n, ambiguous: false }],
        ['req-2', { micros: 5n, ambiguous: true }],
      ]),
    );
    expect((await redis.client.hkeys(`${P}spent`)).every((k) => k.startsWith('['))).toBe(true);
    expect(await redis.client.zrange(`${P}wins`, '0', '-1')).toEqual(
      [encodeCounterKey('global', day), encodeCounterKey(acme, day)].sort(),
    );
    expect(await redis.client.exists(`${P}req`)).toBe(0);
    expect(await redis.client.ttl(`${P}req:legacy`)).toBeGreaterThan(0);
    // A journal replay of a commit 0.1 had applied is found settled, not applied again.
    const replay = { id: 'done-before', actual: 7n, keys: [], usage: { scopes: ['global'], model: 'gw', day: today } };
    expect(await store.commit({ ...replay, replay: true, now: Date.now() })).toEqual({ ok: false });
    // Once: another process opening it changes nothing.
    const again = createBudget(policy, { store: redisStore({ client: redis.client, prefix }) });
    expect(await again.remaining()).toBe(0.7);
    expect((await again.report()).totalUsd).toBe(0.3);
  });
});
