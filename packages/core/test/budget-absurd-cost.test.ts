import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BudgetStore, createBudget, fileStore, memoryStore, redisStore } from '../src/index.js';
import { useRedis } from './helpers/budget-stores.js';
import { redisServerAvailable } from './helpers/redis-server.js';

// A server answering `cost.usd = 1e13` ($10 trillion): the budget neither writes an amount no store may hold (and
// bricks itself or its journal) nor drops the charge. The hold stays counted, flagged for reconcile.
async function absurdCost(store: BudgetStore) {
  const budget = createBudget({ limits: { dailyUsd: 1 } }, { store });
  const charges: boolean[] = [];
  budget.on('charge', (e) => charges.push(e.ambiguous));
  const held = await budget.reserve({ estimateMicros: 100_000n });
  await budget.commit(held, 10n ** 19n, { requestId: 'absurd' });
  expect(charges).toEqual([true]);
  expect((await budget.report()).totalUsd).toBeCloseTo(0.1, 9); // counted at its hold
  // Not bricked: the next call reserves and commits as usual.
  const next = await budget.reserve({ estimateMicros: 50_000n });
  await budget.commit(next, 20_000n);
  expect((await budget.report()).totalUsd).toBeCloseTo(0.12, 9);
  await budget.close();
}

describe('a cost no call can have', () => {
  it('memory store', () => absurdCost(memoryStore()));
  it('file store', () => absurdCost(fileStore(join(mkdtempSync(join(tmpdir(), 'vx402-absurd-')), 'b.jsonl'))));
  describe.runIf(redisServerAvailable())('Redis store', () => {
    const redis = useRedis();
    it('real redis-server', () => absurdCost(redisStore({ client: redis.client, prefix: 'absurd' })));
  });
});
