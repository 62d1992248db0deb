import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it, vi } from 'vitest';
import { type BudgetStore, fileStore, memoryStore, redisStore } from '../src/index.js';
import {
  BudgetModel,
  budgetCommands,
  checkInvariants,
  manualClock,
  realBudget,
  type TestClock,
} from './helpers/budget-model.js';
import { useRedis } from './helpers/budget-stores.js';
import { redisServerAvailable } from './helpers/redis-server.js';

// Model-based tests of the budget: random sequences of reserve / commit / release / renew / clock moves / store
// outages / crashes / skewed neighbours, checked against a small reference model after every command.
// FC_RUNS raises the number of sequences (default keeps CI short); FC_SEED + FC_PATH replay a failure.
const runs = Number(process.env.FC_RUNS ?? 100);
const replay = process.env.FC_SEED
  ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH, endOnFailure: true }
  : {};

async function check(
  open: () => { store: () => BudgetStore; journalPath?: string; cleanup: () => Promise<void> },
  options: { crashable: boolean; holdsExpireByCallerClock?: boolean },
) {
  await fc.assert(
    fc.asyncProperty(budgetCommands({ restart: options.crashable, skew: true }), async (commands) => {
      const model = new BudgetModel(options.holdsExpireByCallerClock ?? true);
      const clock = options.holdsExpireByCallerClock === false ? manualClock(model.now) : systemClock(model.now);
      const setup = open(); // after the clock is set: memory and file stores anchor their own clock at creation
      const real = realBudget(setup.store, clock, {
        journalPath: setup.journalPath,
        crashable: options.crashable,
      });
      try {
        await fc.asyncModelRun(() => ({ model, real }), wrap(commands));
      } finally {
        await setup.cleanup();
      }
    }),
    { numRuns: runs, ...replay },
  );
}

/**
 * Memory and file stores judge what is old by their own monotonic clock, anchored when they are created: the test
 * moves the system's time (Date and performance, both faked) so that clock moves with the model's.
 */
function systemClock(start: number): TestClock {
  vi.setSystemTime(start);
  return { now: () => Date.now(), advance: (ms) => vi.advanceTimersByTime(ms) };
}

/** Checks the invariants after every command (fast-check runs the commands; this adds the check). */
function wrap(commands: Iterable<fc.AsyncCommand<BudgetModel, ReturnType<typeof realBudget>>>) {
  return [...commands].map((c) => ({
    check: (m: Readonly<BudgetModel>) => c.check(m),
    run: async (m: BudgetModel, r: ReturnType<typeof realBudget>) => {
      await c.run(m, r);
      await checkInvariants(m, r);
    },
    toString: () => c.toString(),
  }));
}

describe('budget against a reference model', () => {
  // Memory and file stores: only Date and performance are faked (I/O and the journal keep real timers).
  const faked = () => {
    beforeAll(() => vi.useFakeTimers({ toFake: ['Date', 'performance'] }));
    afterAll(() => vi.useRealTimers());
  };

  describe('on the system clock', () => {
    faked();
    it('memory store', async () => {
      await check(
        () => {
          const store = memoryStore();
          return { store: () => store, cleanup: async () => {} };
        },
        { crashable: false },
      );
    });

    it('file store (crashes and restarts, a durable journal)', async () => {
      await check(
        () => {
          const dir = mkdtempSync(join(tmpdir(), 'vx402-model-'));
          const opened: BudgetStore[] = [];
          return {
            store: () => {
              const s = fileStore(join(dir, 'budget.jsonl'));
              opened.push(s);
              return s;
            },
            journalPath: join(dir, 'journal.jsonl'),
            cleanup: async () => {
              for (const s of opened) await s.close().catch(() => {});
              rmSync(dir, { recursive: true, force: true });
            },
          };
        },
        { crashable: true },
      );
    });
  });

  describe.runIf(redisServerAvailable())('Redis store', () => {
    const redis = useRedis();

    it('real redis-server (crashes and restarts, a durable journal)', async () => {
      await check(
        () => {
          const dir = mkdtempSync(join(tmpdir(), 'vx402-model-'));
          const prefix = redis.prefix('model-');
          return {
            store: () => redisStore({ client: redis.client, prefix }),
            journalPath: join(dir, 'journal.jsonl'),
            cleanup: async () => rmSync(dir, { recursive: true, force: true }),
          };
        },
        // Redis judges a hold's TTL by its own clock (TIME): the test's clock moves windows, not expiry.
        { crashable: true, holdsExpireByCallerClock: false },
      );
    });
  });
});
