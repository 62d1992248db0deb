import { createBudget } from '@venice-x402/core';
import { describe, expect, it } from 'vitest';
import { everyStore, useRedis } from '../../../packages/core/test/helpers/budget-stores.js';

const redis = useRedis();
const stores = everyStore('att', redis);

const HOSTILE_NAMES = ['\ud800', 'a\udfffb', '"}],"x":{"', 'm|2099-01-01', 'a,global', '\u0000', '😀'];

describe.each(stores)('%s store', (_name, makeStore) => {
  it('a server-chosen model name that is hostile to an encoding is counted, under that name, and bricks nothing', async () => {
    const budget = createBudget({ limits: { dailyUsd: 1 } }, { store: makeStore() });
    for (const model of HOSTILE_NAMES) {
      const r = await budget.reserve({ estimateMicros: 10_000n, model: 'qwen3-4b' });
      await budget.commit(r, 10_000n, { model, requestId: model });
    }
    const report = await budget.report({ by: 'model' });
    expect(report.totalUsd).toBeCloseTo(0.07, 9);
    for (const model of HOSTILE_NAMES) expect(report.rows.find((r) => r.key === model)?.calls, model).toBe(1);
    expect((await budget.store.requests()).size).toBe(HOSTILE_NAMES.length);
    // the budget still works afterwards
    const after = await budget.reserve({ estimateMicros: 1n });
    await budget.release(after);
  });

  it('a model name of a megabyte from a server is refused or cut, never written whole', async () => {
    const budget = createBudget({ limits: { dailyUsd: 1 } }, { store: makeStore() });
    const r = await budget.reserve({ estimateMicros: 10_000n });
    const huge = 'm'.repeat(1_000_000);
    await budget.commit(r, 10_000n, { model: huge, requestId: huge }).catch(() => {});
    const report = await budget.report({ by: 'model' });
    expect(report.totalUsd).toBe(0.01);
    for (const row of report.rows) expect(row.key.length).toBeLessThan(1000);
    for (const id of (await budget.store.requests()).keys()) expect(id.length).toBeLessThan(1000);
  });
});
