/**
 * Attacks of 2026-12-04 on restore and reconcile: one malformed row in a page of a hostile transaction list must
 * cost that row only, never the page or the run (issue 25.17: "validate every row").
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBudget, createWallet, reconcile, restoreFromVenice, type Wallet } from '@venice-x402/core';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const T = Date.UTC(2026, 5, 15, 12, 30);
const now = () => T;
const charge = (id: string, usd: number) => ({
  id: `row-${id}`,
  amount: -usd,
  balanceAfter: 100,
  type: 'CHARGE',
  createdAt: new Date(T - 60_000).toISOString(),
  requestId: id,
  modelId: 'llama-3.3-70b',
});

let rows: unknown[] = [];
let server: Server;
let wallet: Wallet;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const limit = Number(url.searchParams.get('limit') ?? 50);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const transactions = rows.slice(offset, offset + limit);
    const hasMore = offset + limit < rows.length;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ success: true, data: { transactions, pagination: { limit, offset, hasMore } } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const malformed: [string, Record<string, unknown>][] = [
  ['an amount as a string', { amount: '-1e3' }],
  ['a null amount', { amount: null }],
  ['a balanceAfter that is not a number', { balanceAfter: 'lots' }],
  ['a numeric request id', { requestId: 123 }],
  ['no type', { type: undefined }],
  ['a numeric id', { id: 42 }],
];

describe('one malformed row costs only itself', () => {
  for (const [name, patch] of malformed) {
    it(`${name}: the good rows around it are restored and reconciled`, async () => {
      rows = [charge('good-1', 0.25), { ...charge('bad', 9), ...patch }, charge('good-2', 0.5)];
      const budget = createBudget({ limits: { monthlyUsd: 10 } }, { now });
      const report = await restoreFromVenice(budget, wallet, { now });
      expect(report).toMatchObject({ restored: 2, restoredUsd: 0.75 });
      expect(report.invalid).toBeGreaterThanOrEqual(1);
      const reconciled = await reconcile(budget, wallet, { now } as any);
      expect(reconciled.missingLocally).toHaveLength(0);
      await budget.close();
    });
  }
});
