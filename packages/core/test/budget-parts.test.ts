/**
 * The budget's named parts as a user meets them: the policy gate (refusals, scope names), the report, the top-up
 * gate on every store, and the timer seam (issues 25.13, 26.4, 26.6, 26.7, 29.2 and the `refused` event).
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConfigError,
  createBudget,
  memoryStore,
  PaymentRequiredError,
  PolicyDeniedError,
  parsePolicy,
  redisStore,
  TopUpError,
} from '../src/index.js';
import { everyStore, useRedis } from './helpers/budget-stores.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

const redis = useRedis();
const stores = everyStore('parts', redis);

const configError = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('no ConfigError thrown');
};

describe('policy gate', () => {
  it('a refused event for a denied model or route carries the call, not only its reason', async () => {
    const budget = createBudget({ models: { deny: ['gpt-*'] }, routes: { deny: ['/image/*'] } });
    const refused: unknown[] = [];
    budget.on('refused', (e) => refused.push(e));
    await expect(budget.reserve({ estimateMicros: 1500n, model: 'gpt-4', route: '/chat' })).rejects.toBeInstanceOf(
      PolicyDeniedError,
    );
    await expect(budget.reserve({ estimateMicros: 2n, model: 'qwen', route: '/image/edit' })).rejects.toBeInstanceOf(
      PolicyDeniedError,
    );
    expect(refused).toEqual([
      { reason: 'model', model: 'gpt-4', route: '/chat', estimateUsd: 0.0015 },
      { reason: 'route', model: 'qwen', route: '/image/edit', estimateUsd: 0.000002 },
    ]);
  });

  it('a denied model has its own code, POLICY_DENIED, and is not retryable', async () => {
    const error = await createBudget({ models: { allow: ['llama-*'] } })
      .reserve({ estimateMicros: 1n, model: 'gpt-4' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PolicyDeniedError);
    expect(error).toMatchObject({ code: 'POLICY_DENIED', retryable: false, details: { model: 'gpt-4' } });
  });

  it('refuses at load, naming it, a scope that no call could reach: global, with a "/", spaces at its ends, empty', () => {
    for (const [name, problem] of [
      ['global', /is the global scope/],
      ['team:x/agent:a', /contains "\/"/],
      [' agent:a', /starts or ends with a space/],
      ['agent:a ', /starts or ends with a space/],
      ['', /is empty/],
    ] as const) {
      const error = configError(() => createBudget({ scopes: { [name]: { dailyUsd: 0.5 } } }));
      expect(error.message).toContain(`scopes[${JSON.stringify(name)}]`);
      expect(error.message).toMatch(problem);
    }
  });

  it("refuses a call's scope holding such a name, and `team:x/ agent:a` cannot escape agent:a's limit", async () => {
    for (const [, makeStore] of stores) {
      const budget = createBudget({ scopes: { 'agent:a': { dailyUsd: 0.5 } } }, { store: makeStore() });
      const spend = (scope: string | string[]) =>
        budget.reserve({ estimateMicros: 400_000n, scope }).then((r) => budget.commit(r, 400_000n));
      await spend('team:x/ agent:a');
      await expect(spend('team:x/ agent:a')).rejects.toMatchObject({
        code: 'BUDGET_EXCEEDED',
        details: { scope: 'agent:a' },
      });
      await expect(spend('team:x /agent:a ')).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
      for (const scope of [['team:x/agent:a'], [' agent:a'], ['agent:a '], ['global', 'x'], 'team:x//agent:a', ['']])
        await expect(spend(scope)).rejects.toBeInstanceOf(ConfigError);
      expect((await budget.report()).totalUsd).toBe(0.4);
      await budget.close();
    }
  });

  it('says why a policy is invalid in the message (path and problem), never what was typed', () => {
    const secret = 'sk_live_4f3c2b1a0987654321';
    const error = configError(() =>
      parsePolicy({ limits: { dailyUsd: -1, [secret]: 1 }, topUp: { amountUsd: secret }, scopes: { 'agent:a': 2 } }),
    );
    expect(error.message).toMatch(/^Invalid budget policy: /);
    expect(error.message).toMatch(/limits\.dailyUsd: /);
    expect(error.message).toMatch(/limits: 1 unknown field/);
    expect(error.message).toMatch(/\(and 1 more\)/);
    expect(error.details.issues).toContain('scopes["agent:a"]: Invalid input: expected object, received number');
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(secret.slice(8));
  });
});

describe('report', () => {
  it('serialises with JSON.stringify: micro-USD amounts as decimal strings, nothing lost', async () => {
    const budget = createBudget({ limits: { dailyUsd: 2 } });
    await budget.commit(await budget.reserve({ estimateMicros: 10n, model: 'm' }), 1_500_001n);
    const report = await budget.report({ by: 'model' });
    expect(report.totalMicros).toBe(1_500_001n);
    const json = JSON.parse(JSON.stringify(report));
    expect(json).toMatchObject({
      by: 'model',
      totalUsd: 1.500001,
      totalMicros: '1500001',
      rows: [{ key: 'm', spentUsd: 1.500001, spentMicros: '1500001', calls: 1 }],
      windows: [{ scope: 'global', window: 'daily', spentUsd: 1.500001, limitUsd: 2 }],
    });
    expect(Object.keys(report)).not.toContain('toJSON');
  });
});

describe.each(stores)('%s store: top-up gate', (name, makeStore) => {
  // A top-up started at the budget's `now` (Redis judges time by its own clock: the call's age is what it reads).
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a top-up that paid nothing uses neither maxCount nor the interval; a refusal says when the next is allowed', async () => {
    let t = Date.UTC(2026, 5, 1, 12);
    const budget = createBudget(
      { topUp: { auto: true, maxCount: 1, minIntervalSeconds: 3600, maxPerDayUsd: 10 } },
      { store: makeStore(), now: () => t },
    );
    const refused = () => {
      throw new TopUpError('Payer has insufficient USDC', { status: 400, serverCode: 'PAYMENT_VERIFICATION_FAILED' });
    };
    for (let i = 0; i < 3; i++) {
      t += 1000;
      await expect(budget.topUpGate(t, refused)).rejects.toThrow('Payer has insufficient USDC');
    }
    t += 1000;
    expect(await budget.topUpGate(t, async (amountUsd) => ({ amountUsd }))).toBe('performed');
    t += 1000;
    const error = await budget.topUpGate(t, async (amountUsd) => ({ amountUsd })).catch((e) => e);
    expect(error).toBeInstanceOf(PaymentRequiredError);
    expect(error.details.limit).toBe('topUp.maxCount');

    // The interval: the refusal names the moment the next top-up is allowed.
    const spaced = createBudget(
      { topUp: { auto: true, minIntervalSeconds: 600 } },
      { store: makeStore(), now: () => t },
    );
    await expect(spaced.topUpGate(t, refused)).rejects.toThrow('insufficient');
    await spaced.topUpGate(t, async (amountUsd) => ({ amountUsd })); // not held back by the failure
    const paidAt = t;
    t += 1000;
    const early = await spaced.topUpGate(t, async (amountUsd) => ({ amountUsd })).catch((e) => e);
    expect(early).toMatchObject({ details: { limit: 'topUp.minInterval' } });
    const next: string = early.details.retryAt;
    expect(early.message).toContain(next);
    if (name === 'redis') {
      // On the server's clock: ten minutes after the real moment it was paid.
      expect(Date.parse(next) - Date.now()).toBeGreaterThan(590_000);
      expect(Date.parse(next) - Date.now()).toBeLessThanOrEqual(600_000);
    } else expect(next).toBe(new Date(paidAt + 600_000).toISOString());
  });

  it('a top-up that may have paid (no answer) still counts', async () => {
    let t = Date.UTC(2026, 5, 1, 12);
    const budget = createBudget(
      { topUp: { auto: true, maxCount: 1, minIntervalSeconds: 0 } },
      { store: makeStore(), now: () => t },
    );
    const unanswered = () => {
      throw new TopUpError('Top-up settlement unconfirmed: check the balance before paying again', { ambiguous: true });
    };
    await expect(budget.topUpGate(t, unanswered)).rejects.toThrow('unconfirmed');
    t += 1000;
    await expect(budget.topUpGate(t, async (amountUsd) => ({ amountUsd }))).rejects.toMatchObject({
      details: { limit: 'topUp.maxCount' },
    });
  });
});

describe('timer seam', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('the top-up wait for another process runs on fake time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const store = memoryStore();
    const t = Date.now();
    // Another process holds the top-up: its claim sits in the shared store.
    await store.claimTopUp({
      owner: 'other',
      now: t,
      day: new Date(t).toISOString().slice(0, 10),
      amount: 10_000_000n,
      startedAt: t,
      maxCount: 10,
      maxPerDay: 100_000_000n,
      minIntervalMs: 0,
      lockTtlMs: 60_000,
    });
    const budget = createBudget({ topUp: { auto: true, minIntervalSeconds: 0 } }, { store });
    let outcome: string | undefined;
    const waiting = budget.topUpGate(t - 1, async (amountUsd) => ({ amountUsd })).then((o) => (outcome = o));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(outcome).toBeUndefined(); // still waiting on the other process
    await store.finishTopUp('other', true, Date.now());
    await vi.advanceTimersByTimeAsync(100);
    await waiting;
    expect(outcome).toBe('skipped'); // the other process's top-up served this caller
  });

  it("the journal's replay timer runs on injected timers", async () => {
    const ticks: (() => void)[] = [];
    const timers = {
      sleep: () => Promise.resolve(),
      every: (_ms: number, fn: () => void) => {
        ticks.push(fn);
        return () => ticks.splice(ticks.indexOf(fn), 1);
      },
    };
    const proxy = await startTcpProxy(redis.server.port);
    const c = new Redis(proxy.port, '127.0.0.1', { maxRetriesPerRequest: 0, enableOfflineQueue: false });
    await new Promise((res) => c.once('ready', res));
    const store = redisStore({ client: c, prefix: redis.prefix('parts') });
    const budget = createBudget({ limits: { totalUsd: 1 } }, { store, timers });
    const restored = new Promise((resolve) => budget.on('store-restored', resolve));
    const r = await budget.reserve({ estimateMicros: 5n });
    proxy.cut(); // the store goes away before the commit
    await budget.commit(r, 5n, { requestId: 'journaled' });
    expect(ticks).toHaveLength(1);
    proxy.restore();
    await new Promise((res) => (c.status === 'ready' ? res(null) : c.once('ready', res)));
    ticks[0]!();
    expect(await restored).toEqual({ replayed: 1 });
    expect(ticks).toHaveLength(0);
    expect((await store.requests()).get('journaled')?.micros).toBe(5n);
    c.disconnect();
    await proxy.close();
  });
});
