import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { signal } from '../../../test/helpers/signal.js';
import {
  BudgetExceededError,
  type BudgetStore,
  type BudgetTimers,
  ConfigError,
  createBudget,
  fileStore,
  loadPolicyFile,
  memoryStore,
  PaymentRequiredError,
  PolicyDeniedError,
  redisStore,
} from '../src/index.js';
import { useRedis } from './helpers/budget-stores.js';
import { redisServerAvailable } from './helpers/redis-server.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vx402-'));
const WORKER = fileURLToPath(new URL('./workers/budget-worker.ts', import.meta.url));
const hasRedis = redisServerAvailable();

/** Yields the event loop 0–2 times (no time passes), so concurrent callers interleave differently on each run. */
async function randomTurns() {
  for (let n = Math.floor(Math.random() * 3); n > 0; n--) await new Promise((r) => setImmediate(r));
}

/** 2,000 concurrent reserve → random actual → commit or release, against a $5 cap. */
async function hammer(store: BudgetStore) {
  const budget = createBudget({ limits: { totalUsd: 5 } }, { store });
  let committed = 0n;
  let refused = 0;
  await Promise.all(
    Array.from({ length: 2000 }, async (_, i) => {
      try {
        const r = await budget.reserve({ estimateMicros: 10_000n, scope: 'agent:a', model: 'm' });
        await randomTurns(); // other callers run between this one's reserve and its settlement
        if (i % 7 === 0) return budget.release(r);
        const actual = BigInt(Math.floor(Math.random() * 10_001));
        await budget.commit(r, actual, { requestId: `r${i}` });
        committed += actual;
      } catch (error) {
        if (!(error instanceof BudgetExceededError)) throw error;
        refused++;
      }
    }),
  );
  const report = await budget.report();
  return { committed, refused, report };
}

function runWorker(args: string[]): Promise<{ out: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ out, code }));
  });
}

describe('budget under concurrency never exceeds its cap', () => {
  it('memory store', async () => {
    const { committed, refused, report } = await hammer(memoryStore());
    expect(committed).toBeLessThanOrEqual(5_000_000n);
    expect(refused).toBeGreaterThan(0);
    expect(report.windows.find((w) => w.window === 'total')!.reservedUsd).toBe(0);
    expect(report.totalUsd).toBe(Number(committed) / 1e6);
  });

  it('file store', async () => {
    const store = fileStore(join(tmp(), 'budget.jsonl'));
    const { committed, report } = await hammer(store);
    expect(committed).toBeLessThanOrEqual(5_000_000n);
    expect(report.totalUsd).toBe(Number(committed) / 1e6);
    await store.close();
  });

  it('file store shared by 4 worker processes', async () => {
    const path = join(tmp(), 'shared.jsonl');
    const results = await Promise.all(Array.from({ length: 4 }, () => runWorker(['file', path, '400', '10'])));
    let total = 0n;
    let refused = 0;
    for (const r of results) {
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.out.trim().split('\n').at(-1)!);
      total += BigInt(summary.committed);
      refused += summary.refused;
    }
    expect(total).toBeLessThanOrEqual(10_000_000n);
    expect(refused).toBeGreaterThan(0); // 1,600 calls × up to $0.02 against $10: the cap was really tested
    const reopened = createBudget({ limits: { totalUsd: 10 } }, { store: fileStore(path) });
    expect((await reopened.report()).totalUsd).toBe(Number(total) / 1e6);
    await reopened.close();
  }, 60_000);

  it('survives SIGKILL mid-commit: every durable commit is there, nothing double counted', async () => {
    const path = join(tmp(), 'crash.jsonl');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', WORKER, 'file', path, '1000', '1000', '--report-durable'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const durable = new Map<string, bigint>();
    let buffer = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        buffer += d.toString();
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          const m = /^durable (\S+) (\d+)$/.exec(line);
          if (m) durable.set(m[1]!, BigInt(m[2]!));
          if (durable.size === 300) child.kill('SIGKILL');
        }
      });
      child.on('exit', () => resolve());
    });
    expect(durable.size).toBeGreaterThanOrEqual(300);
    expect(durable.size).toBeLessThan(1000);
    // A torn last line must not be fatal: simulate one on top of whatever the kill left.
    writeFileSync(path, readFileSync(path, 'utf8') + '{"op":"c","id":"torn","a":"99', { flag: 'w' });
    const store = fileStore(path);
    const requests = await store.requests();
    for (const [id, micros] of durable) expect(requests.get(id)?.micros).toBe(micros);
    const budget = createBudget({}, { store });
    const total = [...requests.values()].reduce((s, r) => s + r.micros, 0n);
    expect((await budget.report()).totalUsd).toBe(Number(total) / 1e6);
    // Still writable after recovery.
    const r = await budget.reserve({ estimateMicros: 1n });
    await budget.commit(r, 1n, { requestId: 'after' });
    await store.close();
    expect((await fileStore(path).requests()).get('after')?.micros).toBe(1n);
  }, 60_000);

  it('compacts the journal and keeps the books', async () => {
    const path = join(tmp(), 'compact.jsonl');
    const store = fileStore(path, { compactAtBytes: 4096 });
    const budget = createBudget({ limits: { dailyUsd: 100 } }, { store });
    for (let i = 0; i < 100; i++)
      await budget.commit(await budget.reserve({ estimateMicros: 10n }), 7n, { requestId: `c${i}` });
    // The file is one snapshot of the books (requests and settled ids included) plus less than 4 KiB of lines.
    const [snapshot, ...since] = readFileSync(path, 'utf8').split('\n');
    expect(JSON.parse(snapshot!).type).toBe('snapshot');
    expect(since.join('\n').length).toBeLessThan(4096 + 512);
    await store.close();
    const again = createBudget({ limits: { dailyUsd: 100 } }, { store: fileStore(path) });
    expect((await again.report()).totalUsd).toBe(0.0007);
    expect((await again.store.requests()).size).toBe(100);
  });
});

describe.skipIf(!hasRedis)('Redis store', () => {
  const redis = useRedis();

  it('holds the cap with 2,000 concurrent calls (ioredis)', async () => {
    const client = new Redis(redis.server.url);
    const { committed, report } = await hammer(redisStore({ client, prefix: 'io' }));
    expect(committed).toBeLessThanOrEqual(5_000_000n);
    expect(report.totalUsd).toBe(Number(committed) / 1e6);
    client.disconnect();
  });

  it('works with a node-redis client too', async () => {
    const client = createClient({ url: redis.server.url });
    await client.connect();
    const { committed, report } = await hammer(redisStore({ client, prefix: 'nr' }));
    expect(committed).toBeLessThanOrEqual(5_000_000n);
    expect(report.totalUsd).toBe(Number(committed) / 1e6);
    await client.quit();
  });

  it('4 processes share one Redis budget and the cap holds', async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, () => runWorker(['redis', redis.server.url, '400', '10'])),
    );
    let total = 0n;
    for (const r of results) {
      expect(r.code).toBe(0);
      total += BigInt(JSON.parse(r.out.trim().split('\n').at(-1)!).committed);
    }
    expect(total).toBeLessThanOrEqual(10_000_000n);
    const client = new Redis(redis.server.url);
    const budget = createBudget({}, { store: redisStore({ client, prefix: 'multi' }) });
    expect((await budget.report()).totalUsd).toBe(Number(total) / 1e6);
    client.disconnect();
  }, 60_000);

  it('frees a dead holder’s reservation after its TTL (on the server’s clock)', async () => {
    const client = new Redis(redis.server.url);
    const budget = createBudget(
      { limits: { totalUsd: 1 }, reservationTtlSeconds: 0.2 },
      { store: redisStore({ client, prefix: 'ttl' }) },
    );
    await budget.reserve({ estimateMicros: 1_000_000n }); // never committed: the process "died"
    await expect(budget.reserve({ estimateMicros: 1n })).rejects.toBeInstanceOf(BudgetExceededError);
    for (const deadline = Date.now() + 10_000; ; ) {
      const freed = await budget.reserve({ estimateMicros: 1_000_000n }).catch((error) => {
        if (Date.now() > deadline) throw error;
      });
      if (freed) break;
    }
    client.disconnect();
  });

  it('lets exactly one of many processes’ callers top up', async () => {
    const client = new Redis(redis.server.url);
    // The top-up lasts until the other process has found it busy; that process looks again once it is done.
    const otherWaits = signal();
    const toppedUp = signal();
    const timers: BudgetTimers = {
      sleep: () => {
        otherWaits.resolve();
        return toppedUp.promise;
      },
      every: () => () => {},
    };
    const process = () => {
      const budget = createBudget(
        { topUp: { auto: true, minIntervalSeconds: 0 } },
        { store: redisStore({ client, prefix: 'tu' }), timers },
      );
      budget.on('topup', () => toppedUp.resolve());
      return budget;
    };
    const [a, b] = [process(), process()];
    let performed = 0;
    const started = Date.now() - 1;
    const perform = async () => {
      performed++;
      await otherWaits.promise;
      return { amountUsd: 10 };
    };
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).topUpGate(started, perform)),
    );
    expect(performed).toBe(1);
    // Callers in the process that topped up share its outcome; the other process's callers just retry.
    expect(new Set(outcomes)).toEqual(new Set(['performed', 'skipped']));
    client.disconnect();
  });
});

describe('policy', () => {
  it('rolls windows over at UTC boundaries', async () => {
    let t = Date.UTC(2026, 10, 23, 23, 59, 0);
    const budget = createBudget({ limits: { dailyUsd: 1, hourlyUsd: 0.6 } }, { now: () => t });
    await budget.commit(await budget.reserve({ estimateMicros: 500_000n }), 500_000n);
    await expect(budget.reserve({ estimateMicros: 200_000n })).rejects.toMatchObject({ details: { limit: 'hourly' } });
    t = Date.UTC(2026, 10, 24, 0, 0, 1); // new hour and new day
    await budget.commit(await budget.reserve({ estimateMicros: 600_000n }), 600_000n);
    await expect(budget.reserve({ estimateMicros: 1n })).rejects.toBeInstanceOf(BudgetExceededError);
    t = Date.UTC(2026, 10, 24, 1, 0, 0); // new hour, same day: daily has 0.4 left
    await expect(budget.reserve({ estimateMicros: 500_000n })).rejects.toMatchObject({ details: { limit: 'daily' } });
    await expect(budget.reserve({ estimateMicros: 400_000n })).resolves.toBeDefined();
  });

  it('charges every scope in the chain and enforces each scope’s own limit', async () => {
    const budget = createBudget({
      limits: { totalUsd: 10 },
      scopes: { 'team:research': { totalUsd: 1 }, 'agent:planner': { perRequestUsd: 0.1 } },
    });
    const r = await budget.reserve({ estimateMicros: 90_000n, scope: 'team:research/agent:planner', model: 'm' });
    await budget.commit(r, 90_000n);
    await expect(
      budget.reserve({ estimateMicros: 200_000n, scope: 'team:research/agent:planner' }),
    ).rejects.toMatchObject({
      details: { limit: 'perRequest', scope: 'agent:planner' },
    });
    await budget.commit(
      await budget.reserve({ estimateMicros: 900_000n, scope: 'team:research/agent:writer' }),
      900_000n,
    );
    await expect(budget.reserve({ estimateMicros: 20_000n, scope: 'team:research' })).rejects.toMatchObject({
      details: { scope: 'team:research' },
    });
    await expect(budget.reserve({ estimateMicros: 20_000n, scope: 'team:ops' })).resolves.toBeDefined();
    const report = await budget.report({ by: 'scope' });
    expect(Object.fromEntries(report.rows.map((r) => [r.key, r.spentUsd]))).toEqual({
      global: 0.99,
      'team:research': 0.99,
      'agent:planner': 0.09,
      'agent:writer': 0.9,
    });
  });

  it('applies model and route allow/deny globs before reserving', async () => {
    const budget = createBudget({
      models: { allow: ['llama-*', 'qwen3-?b'], deny: ['*-uncensored'] },
      routes: { deny: ['/image/*'] },
    });
    const refused: string[] = [];
    budget.on('refused', (e) => refused.push(e.reason));
    await expect(budget.reserve({ estimateMicros: 1n, model: 'llama-3.3-70b' })).resolves.toBeDefined();
    await expect(budget.reserve({ estimateMicros: 1n, model: 'qwen3-4b' })).resolves.toBeDefined();
    await expect(budget.reserve({ estimateMicros: 1n, model: 'llama-uncensored' })).rejects.toBeInstanceOf(
      PolicyDeniedError,
    );
    await expect(budget.reserve({ estimateMicros: 1n, model: 'gpt-4' })).rejects.toBeInstanceOf(PolicyDeniedError);
    await expect(
      budget.reserve({ estimateMicros: 1n, model: 'llama-3', route: '/image/generate' }),
    ).rejects.toBeInstanceOf(PolicyDeniedError);
    expect(refused).toEqual(['model', 'model', 'route']);
  });

  it('warns at 80 % once per window and reports by model and day', async () => {
    const budget = createBudget({ limits: { dailyUsd: 1 } });
    const warnings: unknown[] = [];
    budget.on('warning', (w) => warnings.push(w));
    for (const [model, usd] of [
      ['a', 0.5],
      ['b', 0.35],
      ['a', 0.05],
    ] as const) {
      await budget.commit(await budget.reserve({ estimateMicros: 100_000n, model }), BigInt(usd * 1e6));
    }
    expect(warnings).toEqual([{ scope: 'global', window: 'daily', spentUsd: 0.85, limitUsd: 1 }]);
    const byModel = await budget.report({ by: 'model' });
    expect(byModel.rows.map((r) => [r.key, r.spentUsd, r.calls])).toEqual([
      ['a', 0.55, 2],
      ['b', 0.35, 1],
    ]);
    expect((await budget.report({ by: 'day' })).rows).toHaveLength(1);
  });

  it('validates policies with zod and loads them from a file', () => {
    expect(() => createBudget({ limits: { dailyUsd: -1 } } as any)).toThrow(ConfigError);
    expect(() => createBudget({ limitz: {} } as any)).toThrow(ConfigError);
    const path = join(tmp(), 'policy.json');
    writeFileSync(path, JSON.stringify({ limits: { dailyUsd: 2 }, topUp: { auto: true } }));
    const policy = loadPolicyFile(path);
    expect(policy.topUp).toMatchObject({ auto: true, amountUsd: 10, maxCount: 10 });
    expect(JSON.parse(JSON.stringify(policy))).toEqual(policy);
  });
});

describe('auto top-up gate', () => {
  it('is off by default', async () => {
    await expect(createBudget().topUpGate(Date.now(), async () => ({ amountUsd: 10 }))).rejects.toBeInstanceOf(
      PaymentRequiredError,
    );
  });

  it('100 concurrent callers cause exactly one top-up', async () => {
    const budget = createBudget({ topUp: { auto: true } });
    let performed = 0;
    const started = Date.now() - 1;
    const allAsked = signal();
    const asking = Array.from({ length: 100 }, () =>
      budget.topUpGate(started, async () => {
        performed++;
        await allAsked.promise; // the top-up is still running when the other 99 ask
        return { amountUsd: 10 };
      }),
    );
    allAsked.resolve();
    const results = await Promise.all(asking);
    expect(performed).toBe(1);
    expect(new Set(results)).toEqual(new Set(['performed']));
    // A caller whose request started before that top-up finished just retries.
    expect(await budget.topUpGate(started, async () => ({ amountUsd: 10 }))).toBe('skipped');
  });

  it('stops at maxCount, maxPerDayUsd and minInterval with a typed error', async () => {
    let t = Date.UTC(2026, 0, 1);
    const budget = createBudget(
      { topUp: { auto: true, maxCount: 2, minIntervalSeconds: 0, maxPerDayUsd: 1000 } },
      { now: () => t },
    );
    let performed = 0;
    const perform = async () => {
      performed++;
      return { amountUsd: 10 };
    };
    for (let i = 0; i < 5; i++) {
      t += 1000;
      await budget.topUpGate(t - 1, perform).catch((e) => expect(e).toBeInstanceOf(PaymentRequiredError));
    }
    expect(performed).toBe(2);

    const daily = createBudget(
      { topUp: { auto: true, amountUsd: 10, maxPerDayUsd: 15, minIntervalSeconds: 0 } },
      { now: () => t },
    );
    t += 1000;
    await daily.topUpGate(t - 1, perform);
    t += 1000;
    await expect(daily.topUpGate(t - 1, perform)).rejects.toMatchObject({ details: { limit: 'topUp.maxPerDay' } });

    const interval = createBudget({ topUp: { auto: true, minIntervalSeconds: 60 } }, { now: () => t });
    await interval.topUpGate(t - 1, perform);
    t += 1000;
    await expect(interval.topUpGate(t - 1, perform)).rejects.toMatchObject({ details: { limit: 'topUp.minInterval' } });
  });
});
