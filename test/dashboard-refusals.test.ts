/**
 * The refusal log behind the dashboard's "Refused" panel (issue 26.11): the budget records every refused call in its
 * store, so a dashboard in another process can count and list them. On every store (memory, file read by a second
 * opener, a real redis-server): structured records (names are data), bounded, and written best effort: a refusal is
 * never slowed or changed by the log.
 */
import { appendFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BudgetExceededError,
  type BudgetStore,
  createBudget,
  fileStore,
  memoryStore,
  PolicyDeniedError,
  StoreError,
} from '@venice-x402/core';
import { REFUSAL_LOG_SIZE } from '@venice-x402/core/internal';
import { describe, expect, it } from 'vitest';
import { everyReopenableStore, useRedis } from '../packages/core/test/helpers/budget-stores.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vx402-refusals-'));
const redis = useRedis({ optional: true });

// The current time: a Redis store judges which windows ended by its own clock.
const T0 = Date.now();
/** A scope and a model whose names carry every delimiter a store could be tempted to join on. */
const ODD_SCOPE = 'team:a|b"c\\d';
const ODD_MODEL = 'evil|model\n<img src=x onerror=alert(1)>';

/** Each store, and a second opener of the same data (what a `venice-x402 dashboard` process reads). */
const stores = everyReopenableStore('refusals', redis);

/** The store's log once the budget's best-effort writes landed (they are never awaited by the refusal). */
async function settledLog(store: BudgetStore, expectedTotal: number) {
  let log = await store.refusals!();
  for (let tries = 0; log.total < expectedTotal && tries < 1000; tries++) {
    await new Promise((r) => setImmediate(r));
    log = await store.refusals!();
  }
  return log;
}

describe.each(stores)('%s store: refusal log', (_name, make) => {
  it('records each refused call with its reason, scope, window, model and estimate; a second opener reads them', async () => {
    const { store: writer, reopen: reader } = make();
    const budget = createBudget(
      {
        limits: { dailyUsd: 0.005 },
        scopes: { [ODD_SCOPE]: { perRequestUsd: 0.001 } },
        models: { deny: ['banned-*'] },
      },
      { store: writer, now: () => T0 },
    );
    await budget.commit(await budget.reserve({ estimateMicros: 4_000n, model: 'qwen3-4b' }), 4_000n);
    const over = await budget.reserve({ estimateMicros: 2_000n, model: ODD_MODEL }).catch((e) => e);
    expect(over).toBeInstanceOf(BudgetExceededError);
    const perRequest = await budget
      .reserve({ estimateMicros: 1_500n, scope: ODD_SCOPE, model: 'qwen3-4b' })
      .catch((e) => e);
    expect(perRequest).toBeInstanceOf(BudgetExceededError);
    const denied = await budget.reserve({ estimateMicros: 1n, model: 'banned-x', route: '/chat' }).catch((e) => e);
    expect(denied).toBeInstanceOf(PolicyDeniedError);

    await settledLog(writer, 3);
    const other = reader();
    const log = await other.refusals!();
    expect(log.total).toBe(3);
    expect(log.latest).toEqual([
      { at: T0, reason: 'model', model: 'banned-x', route: '/chat', estimateMicros: 1n },
      {
        at: T0,
        reason: 'perRequest',
        scope: ODD_SCOPE,
        model: 'qwen3-4b',
        route: 'unknown',
        estimateMicros: 1_500n,
      },
      {
        at: T0,
        reason: 'daily',
        scope: 'global',
        window: 'daily',
        model: ODD_MODEL,
        route: 'unknown',
        estimateMicros: 2_000n,
      },
    ]);
    expect((await other.refusals!(1)).latest.map((r) => r.reason)).toEqual(['model']);
    expect((await other.refusals!(0)).latest).toEqual([]);
    await budget.close();
    if (other !== writer) await other.close();
  });

  it(`keeps the last ${REFUSAL_LOG_SIZE} refusals and counts all of them`, async () => {
    const { store: writer } = make();
    const budget = createBudget({ limits: { perRequestUsd: 0.000001 } }, { store: writer, now: () => T0 });
    const n = REFUSAL_LOG_SIZE + 25;
    for (let i = 0; i < n; i++) {
      await budget.reserve({ estimateMicros: 2n, model: `m${i}` }).catch(() => {});
      await settledLog(writer, i + 1); // one at a time: a burst past 16 waiting writes goes unlogged (below)
    }
    const log = await settledLog(writer, n);
    expect(log.total).toBe(n);
    expect(log.latest).toHaveLength(REFUSAL_LOG_SIZE);
    expect(log.latest[0]!.model).toBe(`m${n - 1}`);
    expect(log.latest.at(-1)!.model).toBe(`m${n - REFUSAL_LOG_SIZE}`);
    await budget.close();
  });

  it('cuts a caller-chosen name to 200 characters: one record stays small', async () => {
    const { store: writer } = make();
    const budget = createBudget({ models: { deny: ['x*'] } }, { store: writer, now: () => T0 });
    await budget.reserve({ estimateMicros: 1n, model: 'x'.repeat(100_000) }).catch(() => {});
    const log = await settledLog(writer, 1);
    expect(log.latest[0]!.model).toBe('x'.repeat(200));
    await budget.close();
  });
});

describe('writing a refusal never slows or fails the refusal', () => {
  it('a store whose log never answers: every refusal still throws at once, and at most 16 writes wait', async () => {
    const inner = memoryStore();
    let waiting = 0;
    const hung: BudgetStore = {
      ...inner,
      logRefusal: () => {
        waiting++;
        return new Promise<void>(() => {});
      },
    };
    const budget = createBudget({ limits: { perRequestUsd: 0.000001 } }, { store: hung });
    for (let i = 0; i < 1000; i++) {
      await expect(budget.reserve({ estimateMicros: 2n })).rejects.toBeInstanceOf(BudgetExceededError);
    }
    expect(waiting).toBe(16);
    await budget.close();
  });

  it('a store whose log throws or rejects: the refusal is the same typed error, and later refusals are logged again', async () => {
    const inner = memoryStore();
    let mode: 'throw' | 'reject' | 'ok' = 'throw';
    const flaky: BudgetStore = {
      ...inner,
      logRefusal: (record) => {
        if (mode === 'throw') throw new StoreError('log down');
        if (mode === 'reject') return Promise.reject(new StoreError('log down'));
        return inner.logRefusal!(record);
      },
    };
    const budget = createBudget({ limits: { perRequestUsd: 0.000001 } }, { store: flaky });
    for (const m of ['throw', 'reject', 'ok'] as const) {
      mode = m;
      for (let i = 0; i < 20; i++)
        await expect(budget.reserve({ estimateMicros: 2n })).rejects.toBeInstanceOf(BudgetExceededError);
    }
    expect((await settledLog(inner, 20)).total).toBe(20);
    await budget.close();
  });

  it('file store: a budget that only refuses compacts its journal instead of growing it without end', async () => {
    const path = join(tmp(), 'b.jsonl');
    const store = fileStore(path, { compactAtBytes: 64 * 1024 });
    const budget = createBudget({ limits: { perRequestUsd: 0.000001 } }, { store });
    for (let i = 0; i < 1500; i++) {
      await budget.reserve({ estimateMicros: 2n, model: `m${i}` }).catch(() => {});
      await settledLog(store, i + 1);
    }
    const log = await settledLog(store, 1500);
    expect(log.latest).toHaveLength(REFUSAL_LOG_SIZE);
    expect(statSync(path).size).toBeLessThan(64 * 1024 + 40 * 1024); // a snapshot of 200 records, then < 64 KiB
    await budget.close();
    // Reopened from the compacted file: the count and the records survive.
    const reopened = fileStore(path);
    const again = await reopened.refusals!();
    expect(again.total).toBe(1500);
    expect(again.latest[0]!.model).toBe('m1499');
    await reopened.close();
  });

  it('file store: a forged refusal line is refused as invalid, never applied', async () => {
    const path = join(tmp(), 'b.jsonl');
    const forged = { type: 'refusal', refusal: { at: 1, reason: 'daily', estimateMicros: -5 } };
    appendFileSync(path, `${JSON.stringify(forged)}\n`);
    const store = fileStore(path);
    await expect(store.refusals!()).rejects.toThrow(/line 1 is invalid: bad refusal entry \(refusal\.estimateMicros/);
    expect(readFileSync(path, 'utf8')).toContain('"type":"refusal"');
    await store.close().catch(() => {});
  });
});
