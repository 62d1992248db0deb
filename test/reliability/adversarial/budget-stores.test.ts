/**
 * Ways past the budget through its own API and stores (issues "Nothing signed goes unaccounted" items 3, 6, 11, 12
 * and "Budget API hardening"). Each runs against every store: memory, file and a real redis-server.
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, createBudget, fileStore, PolicyDeniedError, parsePolicy, redisStore } from '@venice-x402/core';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { everyStore, useRedis } from '../../../packages/core/test/helpers/budget-stores.js';
import { startRedisServer } from '../../../packages/core/test/helpers/redis-server.js';
import { startTcpProxy } from '../../../packages/core/test/helpers/tcp-proxy.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vx402-adv-'));
const redis = useRedis();
const stores = everyStore('adv', redis);

describe.each(stores)('%s store', (_name, makeStore) => {
  it('settles a reservation exactly once: another settlement or release is a typed error and changes nothing', async () => {
    const budget = createBudget({ limits: { totalUsd: 1 } }, { store: makeStore() });
    const r = await budget.reserve({ estimateMicros: 100_000n });
    await budget.commit(r, 90_000n);
    await expect(budget.commit(r, 100_000n)).rejects.toMatchObject({ code: 'RESERVATION_SETTLED' });
    await expect(budget.release(r)).rejects.toMatchObject({ code: 'RESERVATION_SETTLED' });
    await expect(budget.markAmbiguous(r)).rejects.toMatchObject({ code: 'RESERVATION_SETTLED' });
    const released = await budget.reserve({ estimateMicros: 100_000n });
    await budget.release(released);
    await expect(budget.commit(released, 100_000n)).rejects.toMatchObject({ code: 'RESERVATION_SETTLED' });
    expect((await budget.report()).totalUsd).toBe(0.09);
    expect(await budget.remaining()).toBe(0.91);
  });

  it('settles a zero hold (a free route, a restored charge) like any other', async () => {
    const budget = createBudget({ limits: { totalUsd: 1 } }, { store: makeStore() });
    await budget.commit(await budget.reserve({ estimateMicros: 0n }), 7n, { requestId: 'zero-hold' });
    await budget.release(await budget.reserve({ estimateMicros: 0n }));
    expect((await budget.store.requests()).get('zero-hold')?.micros).toBe(7n);
    expect(await budget.remaining()).toBe(0.999993);
  });

  it('treats __proto__, constructor and toString as ordinary scope and model names', async () => {
    const names = ['__proto__', 'constructor', 'toString'];
    const policy = JSON.parse(
      `{"scopes": {${names.map((n) => `"${n}": {"totalUsd": 0}`).join(',')}}, "models": {"deny": ["constructor"]}}`,
    );
    const budget = createBudget(policy, { store: makeStore() });
    for (const scope of names) {
      await expect(budget.reserve({ estimateMicros: 1n, scope })).rejects.toMatchObject({
        code: 'BUDGET_EXCEEDED',
        details: { scope },
      });
    }
    await expect(budget.reserve({ estimateMicros: 1n, model: 'constructor' })).rejects.toBeInstanceOf(
      PolicyDeniedError,
    );
    const r = await budget.reserve({ estimateMicros: 5n, model: '__proto__' });
    await budget.commit(r, 5n);
    const byModel = await budget.report({ by: 'model' });
    expect(byModel.rows).toEqual([{ key: '__proto__', spentUsd: 0.000005, spentMicros: 5n, calls: 1 }]);
  });
});

// Redis decides expiry on its own clock, not the caller's: its version of this is in redis-store.test.ts.
describe.each(stores.filter(([name]) => name !== 'redis'))('%s store on the caller’s clock', (_name, makeStore) => {
  it('keeps a renewed hold past its TTL; a swept hold cannot be renewed', async () => {
    let t = Date.UTC(2026, 10, 24, 12);
    const budget = createBudget(
      { limits: { totalUsd: 0.1 }, reservationTtlSeconds: 10 },
      { store: makeStore(), now: () => t },
    );
    const live = await budget.reserve({ estimateMicros: 100_000n });
    for (let i = 0; i < 5; i++) {
      t += 8_000;
      await budget.renew(live);
    }
    await expect(budget.reserve({ estimateMicros: 1n })).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    t += 11_000; // not renewed: swept
    await budget.renew(live);
    const next = await budget.reserve({ estimateMicros: 100_000n });
    await budget.release(next);
    await budget.commit(live, 50_000n); // a late commit of an expired hold still counts, once
    await expect(budget.commit(live, 60_000n)).rejects.toMatchObject({ code: 'RESERVATION_SETTLED' });
    expect((await budget.report()).totalUsd).toBe(0.05);
  });
});

describe('budget input', () => {
  it('refuses negative, fractional-free but absurd estimates before they reach a store', async () => {
    const budget = createBudget({ limits: { totalUsd: 0.1 } });
    await expect(budget.reserve({ estimateMicros: -10_000_000n })).rejects.toBeInstanceOf(ConfigError);
    await expect(budget.reserve({ estimateMicros: 10n ** 20n })).rejects.toBeInstanceOf(ConfigError);
    await expect(budget.reserve({ estimateMicros: 0.5 as unknown as bigint })).rejects.toBeInstanceOf(ConfigError);
    expect(await budget.remaining()).toBe(0.1);
  });

  it('denies feature-suffixed model ids by their base id', async () => {
    const budget = createBudget({ models: { deny: ['*-uncensored', 'llama-*'] } });
    for (const model of ['venice-uncensored:enable_web_search=off', 'llama-3.3-70b:strip_thinking_response=true'])
      await expect(budget.reserve({ estimateMicros: 1n, model })).rejects.toBeInstanceOf(PolicyDeniedError);
    const allowOnly = createBudget({ models: { allow: ['qwen3-4b'] } });
    await allowOnly.reserve({ estimateMicros: 1n, model: 'qwen3-4b:enable_web_search=on' });
  });

  it('never echoes unknown policy field names and reports absurd limits as ConfigError', () => {
    const secret = 'sk_live_4f3c2b1a0987654321';
    const error = (() => {
      try {
        parsePolicy({ limits: { [secret]: 1 }, [secret]: true });
      } catch (e) {
        return e as ConfigError;
      }
    })()!;
    expect(error).toBeInstanceOf(ConfigError);
    expect(JSON.stringify(error.toJSON()) + error.message + String(error.stack)).not.toContain(secret);
    expect(() => parsePolicy({ limits: { dailyUsd: 1e300 } })).toThrow(ConfigError);
  });
});

describe('file store journal', () => {
  const seed = async (path: string) => {
    const store = fileStore(path);
    const budget = createBudget({ limits: { totalUsd: 1 } }, { store });
    await budget.commit(await budget.reserve({ estimateMicros: 300_000n }), 300_000n);
    await store.close();
    return readFileSync(path, 'utf8');
  };
  const forged = {
    'a negative commit': (text: string) => {
      const c = JSON.parse(text.split('\n').find((l) => l.includes('"type":"commit"'))!);
      return `${JSON.stringify({ ...c, id: 'forged', micros: -1_000_000_000 })}\n`;
    },
    'an appended empty snapshot': () =>
      `${JSON.stringify({ op: 'snap', state: { counters: [], reservations: [], usage: [], requests: [], pins: [], topUp: { count: 0, lastAt: 0, perDay: [] } } })}\n`,
    'a duplicated reservation': (text: string) => `${text.split('\n').find((l) => l.includes('"type":"reserve"'))}\n`,
    'a repeated commit': (text: string) => `${text.split('\n').find((l) => l.includes('"type":"commit"'))}\n`,
  };
  for (const [what, line] of Object.entries(forged)) {
    it(`refuses ${what} with a StoreError naming the line, never applying it`, async () => {
      const path = join(tmp(), 'b.jsonl');
      const text = await seed(path);
      appendFileSync(path, line(text));
      const budget = createBudget({ limits: { totalUsd: 1 } }, { store: fileStore(path) });
      const error = await budget.report().catch((e) => e);
      expect(error).toMatchObject({ code: 'STORE_ERROR', details: { line: text.split('\n').length } });
      expect(error.message).toMatch(/line \d+/);
      await expect(budget.reserve({ estimateMicros: 1n })).rejects.toMatchObject({ code: 'STORE_ERROR' });
    });
  }

  it('breaks a lock that names a live pid or holds garbage once its lease is over', async () => {
    for (const holder of ['1', 'garbage', `${process.pid + 100000} ${Date.now() - 60_000}`]) {
      const path = join(tmp(), 'b.jsonl');
      writeFileSync(`${path}.lock`, holder);
      const lock = `${path}.lock`;
      // Backdate the lock file as a long-gone writer would have left it.
      const { utimesSync } = await import('node:fs');
      const old = new Date(Date.now() - 60_000);
      utimesSync(lock, old, old);
      const budget = createBudget({}, { store: fileStore(path) });
      const r = await budget.reserve({ estimateMicros: 1n });
      await budget.commit(r, 1n);
      expect((await budget.report()).totalUsd).toBe(0.000001);
    }
  });
});

describe('store outage at commit', () => {
  it('keeps the paid commit in a durable journal, refuses new calls while down, replays when back', async () => {
    const proxy = await startTcpProxy(redis.server.port);
    const c = new Redis(proxy.port, '127.0.0.1', {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => 50,
    });
    await new Promise((res) => c.once('ready', res));
    const journalPath = join(tmp(), 'journal.jsonl');
    const budget = createBudget(
      { limits: { totalUsd: 1 } },
      { store: redisStore({ client: c, prefix: 'outage' }), journalPath },
    );
    const events: string[] = [];
    budget.on('store-down', (e) => events.push(`down:${e.durable}`));
    budget.on('store-restored', (e) => events.push(`restored:${e.replayed}`));
    try {
      const r = await budget.reserve({ estimateMicros: 100_000n });
      proxy.cut(); // the store goes away between send and commit
      await budget.commit(r, 50_000n, { requestId: 'paid-answer' }); // resolves: the paid answer is not thrown away
      expect(readFileSync(journalPath, 'utf8')).toContain('paid-answer');
      await expect(budget.reserve({ estimateMicros: 1n })).rejects.toMatchObject({ code: 'STORE_ERROR' });

      proxy.restore();
      await new Promise((res) => (c.status === 'ready' ? res(null) : c.once('ready', res)));
      const next = await budget.reserve({ estimateMicros: 1n });
      await budget.release(next);
      expect((await budget.store.requests()).get('paid-answer')?.micros).toBe(50_000n);
      expect(events).toEqual(['down:true', 'restored:1']);
      expect(readFileSync(journalPath, 'utf8')).toBe('');
    } finally {
      c.disconnect();
      await proxy.close();
    }
  });
});

describe('store growth', () => {
  it('the file store forgets counters of windows that ended (its snapshot holds the live ones only)', async () => {
    const path = join(tmp(), 'growth.jsonl');
    const store = fileStore(path, { compactAtBytes: 2048 }); // compacts into a snapshot several times on the way
    let t = Date.parse('2026-01-01T00:30:00Z');
    const budget = createBudget({ limits: { hourlyUsd: 1, dailyUsd: 10 } }, { store, now: () => t });
    for (let hour = 0; hour < 24 * 10; hour += 5) {
      t = Date.parse('2026-01-01T00:30:00Z') + hour * 3_600_000;
      await budget.commit(await budget.reserve({ estimateMicros: 10n }), 10n);
    }
    const snapshot = JSON.parse(readFileSync(path, 'utf8').split('\n')[0]!).state;
    const keys = (snapshot.counters as { key: string }[]).map((c) => c.key);
    expect(keys.filter((k) => k.includes('"h:')).length).toBeLessThanOrEqual(6);
    expect(keys.filter((k) => k.includes('"d:')).length).toBeLessThanOrEqual(2);
    expect((await budget.report()).totalUsd).toBeCloseTo(480 / 1e6, 9); // reports come from usage, kept
  });

  it('Redis removes the counters of windows that ended: a year of hourly use keeps the current fields only', async () => {
    let t = Date.parse('2026-01-01T00:30:00Z');
    const prefix = redis.prefix('growth-');
    const budget = createBudget(
      { limits: { hourlyUsd: 1, dailyUsd: 10, monthlyUsd: 100, totalUsd: 1000 } },
      { store: redisStore({ client: redis.client, prefix }), now: () => t },
    );
    for (let hour = 0; hour < 24 * 40; hour += 7) {
      t = Date.parse('2026-01-01T00:30:00Z') + hour * 3_600_000;
      const r = await budget.reserve({ estimateMicros: 10n });
      await budget.commit(r, 10n);
    }
    const fields = await redis.client.hkeys(`{${prefix}}:spent`);
    // Alive: the total, this month (+ last month in its grace day), today (+ yesterday), this hour (+ a few in grace).
    expect(fields.filter((f) => f.includes('"h:')).length).toBeLessThanOrEqual(5);
    expect(fields.filter((f) => f.includes('"d:')).length).toBeLessThanOrEqual(2);
    expect(fields.filter((f) => f.includes('"m:')).length).toBeLessThanOrEqual(2);
    expect(fields).toContain('["global","t"]');
    // The current windows are intact: spend is still counted where it matters.
    expect((await budget.report()).totalUsd).toBeCloseTo((Math.ceil((24 * 40) / 7) * 10) / 1e6, 9);
    const status = (await budget.report()).windows.find((w) => w.window === 'total');
    expect(status?.spentUsd).toBeCloseTo((Math.ceil((24 * 40) / 7) * 10) / 1e6, 9);
  });
});

describe('Redis restart', () => {
  it('a persistent server restarted mid-run keeps all spend; commits made meanwhile are journaled and replayed', async () => {
    const server = await startRedisServer();
    const proxy = await startTcpProxy(server.port);
    const c = new Redis(proxy.port, '127.0.0.1', {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => 50,
    });
    c.on('error', () => {}); // the outage is the point of the test
    const connected = () => new Promise((res) => (c.status === 'ready' ? res(null) : c.once('ready', res)));
    await connected();
    const budget = createBudget(
      { limits: { totalUsd: 0.3 } },
      { store: redisStore({ client: c, prefix: 'restart' }), journalPath: join(tmp(), 'journal.jsonl') },
    );
    const committed: bigint[] = [];
    let restarted: Promise<void> | undefined;
    const agent = async (name: string) => {
      for (let i = 0; i < 60; i++) {
        let hold: Awaited<ReturnType<typeof budget.reserve>>;
        try {
          hold = await budget.reserve({ estimateMicros: 2_000n, scope: name });
        } catch (error) {
          if ((error as { code?: string }).code === 'BUDGET_EXCEEDED') return;
          // Store down: try again once the restart is done and the client is back.
          await restarted;
          await connected();
          i--;
          continue;
        }
        if (committed.length === 40 && !restarted) {
          restarted = (async () => {
            proxy.cut();
            proxy.retarget(await server.restart());
            proxy.restore();
          })();
        }
        await budget.commit(hold, 1_500n, { requestId: `${name}-${i}` }); // resolves: journaled while down
        committed.push(1_500n);
      }
    };
    try {
      await Promise.all(['a', 'b', 'c', 'd'].map((n) => agent(`agent:${n}`)));
      await restarted;
      await connected();
      await budget.release(await budget.reserve({ estimateMicros: 1n })); // replays anything journaled
      const total = committed.reduce((a, b) => a + b, 0n);
      expect(committed.length).toBeGreaterThan(100); // the restart came at 40: most spend happened after it
      expect((await budget.store.requests()).size).toBe(committed.length); // nothing lost, nothing doubled
      expect((await budget.report()).totalUsd).toBeCloseTo(Number(total) / 1e6, 9);
      expect(total).toBeLessThanOrEqual(300_000n); // the cap held across the restart
      expect((await budget.report()).windows.every((w) => w.reservedUsd === 0)).toBe(true);
    } finally {
      c.disconnect();
      await proxy.close();
      await server.stop();
    }
  });
});

describe('Redis round trips', () => {
  it('a paid call costs two: reserve, and a commit that answers what is left', async () => {
    let commands = 0;
    const counting = {
      call: (command: string, ...args: (string | number)[]) => {
        commands++;
        return redis.client.call(command, ...args);
      },
    };
    const budget = createBudget(
      { limits: { dailyUsd: 1 } },
      { store: redisStore({ client: counting, prefix: 'rtt' }) },
    );
    const warm = await budget.reserve({ estimateMicros: 1n });
    await budget.commit(warm, 1n); // loads the scripts once
    commands = 0;
    const r = await budget.reserve({ estimateMicros: 100_000n });
    const outcome = await budget.commit(r, 40_000n);
    expect(commands).toBe(2);
    expect(outcome.remainingUsd).toBe(0.959999);
  });
});

describe('Redis persistence', () => {
  it('refuses a Redis that persists nothing, unless told the budget may be volatile', async () => {
    const server = await startRedisServer({ persistent: false });
    const c = new Redis(server.url);
    try {
      const strict = createBudget({}, { store: redisStore({ client: c, prefix: 'vol' }) });
      await expect(strict.reserve({ estimateMicros: 1n })).rejects.toMatchObject({
        code: 'STORE_ERROR',
        message: expect.stringMatching(/persists nothing.*volatile: true/),
      });
      const volatile = createBudget({}, { store: redisStore({ client: c, prefix: 'vol', volatile: true }) });
      await volatile.commit(await volatile.reserve({ estimateMicros: 1n }), 1n);
    } finally {
      c.disconnect();
      await server.stop();
    }
  });
});
