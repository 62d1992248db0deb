import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBudget, createWallet, reconcile, restoreFromVenice, type Wallet } from '@venice-x402/core';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { everyStore, useRedis } from '../packages/core/test/helpers/budget-stores.js';

interface Row {
  id: string;
  amount: number;
  balanceAfter: number;
  type: string;
  createdAt: string;
  requestId: string | null;
  modelId: string | null;
}

// Mid-month, next month: every window of the test is that month's, and none has ended by any store's own clock
// (Redis forgets windows that ended by its TIME; memory and file stores by theirs).
const real = new Date();
const T = Date.UTC(real.getUTCFullYear(), real.getUTCMonth() + 1, 15, 12, 30);
const now = () => T;
const iso = (ms: number) => new Date(ms).toISOString();
const charge = (id: string, usd: number, at: number, requestId: string | null = id): Row => ({
  id: `row-${id}`,
  amount: -usd,
  balanceAfter: 100,
  type: 'CHARGE',
  createdAt: iso(at),
  requestId,
  modelId: 'llama-3.3-70b',
});

/** What the hostile server answers: `list` newest first, with offset pagination, and its tricks. */
const served = {
  list: [] as Row[],
  /** Always `hasMore: true`, and the same rows whatever the offset. */
  moreForever: false,
  /** Invents a fresh page of rows for every read (ids never repeat). */
  endless: false,
  /** Called after each page is built (a charge landing between two reads). */
  afterPage: undefined as ((offset: number) => void) | undefined,
  pages: 0,
};

let server: Server;
let wallet: Wallet;
const redis = useRedis();

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (!url.pathname.startsWith('/api/v1/x402/transactions/')) return void res.writeHead(404).end('{}');
    const limit = Number(url.searchParams.get('limit') ?? 50);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    served.pages++;
    const transactions = served.endless
      ? Array.from({ length: limit }, (_, i) => charge(`gen-${offset + i}`, 0.01, T - 60_000))
      : served.moreForever
        ? served.list
        : served.list.slice(offset, offset + limit);
    const hasMore = served.moreForever || served.endless || offset + limit < served.list.length;
    served.afterPage?.(offset);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ success: true, data: { transactions, pagination: { limit, offset, hasMore } } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  Object.assign(served, { list: [], moreForever: false, endless: false, afterPage: undefined, pages: 0 });
});

const stores = everyStore('restore-hostile', redis);

describe.each(stores)('%s store', (_name, makeStore) => {
  it('writes history whatever the limits say: 6 × $0.90 in one hour under a $1 hourly limit', async () => {
    served.list = Array.from({ length: 6 }, (_, i) => charge(`h${i}`, 0.9, T - 30 * 60_000 + (5 - i) * 60_000));
    const budget = createBudget(
      { limits: { hourlyUsd: 1, dailyUsd: 20, monthlyUsd: 10 } },
      { store: makeStore(), now },
    );
    const report = await restoreFromVenice(budget, wallet, { now });
    expect(report).toMatchObject({ restored: 6, restoredUsd: 5.4, known: 0, skipped: 0, complete: true });
    const windows = (await budget.report()).windows;
    expect(windows.find((w) => w.window === 'monthly')!.spentUsd).toBe(5.4);
    expect(windows.find((w) => w.window === 'daily')!.spentUsd).toBe(5.4);
    // The hour is over its limit, as it was: the next call waits for the next hour.
    await expect(budget.reserve({ estimateMicros: 1n })).rejects.toMatchObject({ details: { limit: 'hourly' } });
    expect(await restoreFromVenice(budget, wallet, { now })).toMatchObject({ restored: 0, known: 6 });
    await budget.close();
  });

  it('refuses rows dated ahead, skips bad dates with a count, and is not stopped by an old row listed first', async () => {
    served.list = [
      charge('last-year', 7, T - 365 * 86_400_000), // listed first: must not end the read
      charge('ahead', 50, T + 2 * 86_400_000), // two days ahead: refused, never written
      { ...charge('bad-date', 9, T), createdAt: 'yesterday' },
      { ...charge('bad-month', 9, T), createdAt: '2026-13-45T10:00:00Z' },
      { ...charge('wrong-sign', 9, T), amount: 9 },
      charge('today', 0.25, T - 3_600_000),
      charge('this-month', 0.5, T - 5 * 86_400_000),
    ];
    const budget = createBudget({ limits: { dailyUsd: 1, monthlyUsd: 10 } }, { store: makeStore(), now });
    const report = await restoreFromVenice(budget, wallet, { now });
    expect(report).toMatchObject({ restored: 2, restoredUsd: 0.75, future: 1, invalid: 3, skipped: 4, complete: true });
    const windows = (await budget.report()).windows;
    expect(windows.find((w) => w.window === 'daily')!.spentUsd).toBe(0.25); // today's counter is intact
    expect(windows.find((w) => w.window === 'monthly')!.spentUsd).toBe(0.75);
    expect([...(await budget.store.requests()).keys()].sort()).toEqual(['this-month', 'today']);
    await budget.close();
  });
});

describe('an untrusted transaction list', () => {
  it('a server that always says hasMore ends the read: repeated pages stop it, fresh ones hit the row bound', async () => {
    served.list = [charge('a', 0.1, T - 60_000), charge('b', 0.2, T - 120_000)];
    served.moreForever = true; // the same rows on every page, forever
    const budget = createBudget({}, { now });
    const restored = await restoreFromVenice(budget, wallet, { now });
    expect(restored).toMatchObject({ restored: 2, restoredUsd: 0.3, complete: false });
    expect(served.pages).toBeLessThanOrEqual(3);
    const diff = await reconcile(budget, wallet, { now });
    expect(diff).toMatchObject({ matched: 2, veniceChargedUsd: 0.3, complete: false });

    served.endless = true; // fresh rows on every page, forever
    served.pages = 0;
    const bounded = await restoreFromVenice(createBudget({}, { now }), wallet, { now, maxRows: 1_000 });
    expect(bounded).toMatchObject({ restored: 1_000, complete: false });
    expect(served.pages).toBe(10);
    served.pages = 0;
    const reconciled = await reconcile(budget, wallet, { now, maxRows: 500 });
    expect(reconciled.missingLocally).toHaveLength(500);
    expect(served.pages).toBe(5);
  });

  it('a lone old row on page 1, a page longer than asked for, and over-long ids do not mislead the read', async () => {
    served.list = [
      charge('old', 3, T - 40 * 86_400_000), // alone on page 1 (pages of 1 row below): must not end the read
      charge('kept', 0.5, T - 60_000),
      { ...charge('long-id', 1, T - 60_000), requestId: 'x'.repeat(500) },
      charge('older', 4, T - 41 * 86_400_000),
      charge('oldest', 5, T - 42 * 86_400_000),
      charge('never-read', 6, T - 60_000), // after two pages of only old rows: the read has ended
    ];
    const pageOfOne = {
      transactions: (page: { limit?: number; offset?: number }) => wallet.transactions({ ...page, limit: 1 }),
    };
    const report = await restoreFromVenice(createBudget({}, { now }), pageOfOne, { now });
    expect(report).toMatchObject({ restored: 1, restoredUsd: 0.5, invalid: 1, complete: true });

    served.list = Array.from({ length: 30 }, (_, i) => charge(`p${i}`, 0.01, T - (i + 1) * 1000));
    const oversized = {
      transactions: async (page: { limit?: number; offset?: number }) => {
        const answer = await wallet.transactions({ ...page, limit: 30 }); // the server ignores the limit
        return answer;
      },
    };
    const read = await restoreFromVenice(createBudget({}, { now }), oversized, { now, maxRows: 12 });
    expect(read).toMatchObject({ restored: 12, complete: false });
  });

  it('a charge landing between two page reads (offset pagination, newest first) is counted once', async () => {
    served.list = Array.from({ length: 150 }, (_, i) => charge(`c${i}`, 0.1, T - (i + 1) * 60_000));
    let landed = 0;
    served.afterPage = (offset) => {
      if (offset === 0) served.list.unshift(charge(`late-${++landed}`, 0.2, T - 1000)); // shifts page 2 by one row
    };
    const budget = createBudget({}, { now });
    const report = await restoreFromVenice(budget, wallet, { now });
    expect(report).toMatchObject({ restored: 150, complete: true }); // late-1 came after page 1: read next time
    expect(report.restoredUsd).toBe(15);
    expect((await budget.report()).totalUsd).toBe(15);
    const diff = await reconcile(budget, wallet, { now });
    expect(diff.veniceChargedUsd).toBe(15.2); // late-1 and the 150 rows, the shifted one once
    expect(diff.matched).toBe(150);
    expect(diff.missingLocally.map((m) => m.requestId)).toEqual(['late-1']);
  });
});
