/**
 * The file store's journal format (issue "By construction" item 3): one schema of readable entries that the
 * writer and the reader share, and files written by version 0.1 (op codes, `scope|window` counter keys) that
 * still load, hand-written here as 0.1 wrote them.
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBudget, fileStore, StoreError } from '../src/index.js';
import { encodeCounterKey } from '../src/internal.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vx402-journal-'));
const T0 = Date.UTC(2026, 10, 23, 20, 15); // 2026-11-23T20:15Z
const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const GLOBAL_DAY = encodeCounterKey('global', 'd:2026-11-23');
const AGENT_DAY = encodeCounterKey('agent:x', 'd:2026-11-23');
const policy = { limits: { dailyUsd: 1 }, scopes: { 'agent:x': { dailyUsd: 0.3 } } };

describe('journal entries', () => {
  it('are written with readable names, one type per operation', async () => {
    const path = join(tmp(), 'b.jsonl');
    const store = fileStore(path);
    let t = T0;
    const budget = createBudget({ ...policy, topUp: { auto: true } }, { store, now: () => t });
    const r = await budget.reserve({ estimateMicros: 300_000n, scope: 'agent:x', model: 'llama' });
    t += 1000;
    await budget.renew(r);
    await budget.commit(r, 250_000n, { requestId: 'req-1', paymentTx: '0xabc' });
    await budget.release(await budget.reserve({ estimateMicros: 5n }));
    await budget.topUpGate(t - 1, async () => ({ amountUsd: 10, transaction: '0xdef' }));
    await store.setPinIfAbsent('payee', '0xABC');
    await store.close();
    const [reserve, renew, commit, , release, claim, finish, pin] = lines(path);
    expect(reserve).toEqual({
      type: 'reserve',
      id: r.id,
      micros: 300_000,
      counters: [GLOBAL_DAY, AGENT_DAY],
      expiresAt: T0 + 600_000,
      at: T0,
    });
    expect(renew).toEqual({ type: 'renew', id: r.id, expiresAt: T0 + 601_000, at: T0 + 1000 });
    expect(commit).toEqual({
      type: 'commit',
      id: r.id,
      micros: 250_000,
      counters: [GLOBAL_DAY, AGENT_DAY],
      usage: { scopes: ['global', 'agent:x'], model: 'llama', day: '2026-11-23', hour: '2026-11-23T20' },
      requestId: 'req-1',
      paymentTx: '0xabc',
      at: T0 + 1000,
    });
    expect(release).toMatchObject({ type: 'release' });
    expect(claim).toMatchObject({ type: 'topup-claim', day: '2026-11-23', micros: 10_000_000, until: t + 120_000 });
    expect(finish).toMatchObject({ type: 'topup-finish', ok: true, micros: 10_000_000, tx: '0xdef' });
    expect(pin).toEqual({ type: 'pin', key: 'payee', value: '0xabc' });
  });

  it('a snapshot names its parts, and what it holds comes back on open', async () => {
    const path = join(tmp(), 'b.jsonl');
    const store = fileStore(path);
    const budget = createBudget(policy, { store, now: () => T0 });
    await budget.commit(await budget.reserve({ estimateMicros: 100_000n, scope: 'agent:x' }), 100_000n);
    await budget.reserve({ estimateMicros: 50_000n });
    await store.compact();
    const [snapshot, ...rest] = lines(path);
    expect(rest).toEqual([]);
    expect(snapshot.type).toBe('snapshot');
    expect(Object.keys(snapshot.state).sort()).toEqual(
      [
        'counters',
        'expired',
        'holds',
        'payments',
        'pins',
        'released',
        'requests',
        'series',
        'settled',
        'topUp',
        'usage',
      ].sort(),
    );
    expect(snapshot.state.counters).toContainEqual({ key: GLOBAL_DAY, spent: 100_000, reserved: 50_000 });
    const again = createBudget(policy, { store: fileStore(path), now: () => T0 });
    expect(await again.remaining()).toBeCloseTo(0.85, 9);
    expect(await again.remaining('agent:x')).toBeCloseTo(0.2, 9);
  });

  it('refuses a line the schema refuses, naming it, whatever wrote it', async () => {
    const path = join(tmp(), 'b.jsonl');
    const budget = createBudget(policy, { store: fileStore(path), now: () => T0 });
    await budget.commit(await budget.reserve({ estimateMicros: 1n }), 1n);
    await budget.close();
    const [reserve] = lines(path);
    appendFileSync(path, `${JSON.stringify({ ...reserve, id: 'huge', micros: 1e19 })}\n`);
    const error = await fileStore(path)
      .usage()
      .catch((e) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error.message).toMatch(/line 3 is invalid: bad reserve entry \(micros:/);
  });
});

describe('files written by version 0.1', () => {
  const legacy = (entries: object[]) => `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`;
  const oldKeys = ['global|d:2026-11-23', 'agent:x|d:2026-11-23'];

  it('op-code lines and scope|window keys load into the current books, and new lines append after them', async () => {
    const path = join(tmp(), 'old.jsonl');
    writeFileSync(
      path,
      legacy([
        { op: 'r', id: 'r1', a: '300000', k: oldKeys, e: T0 + 600_000, t: T0 },
        {
          op: 'c',
          id: 'r1',
          a: '250000',
          k: oldKeys,
          u: { scopes: ['global', 'agent:x'], model: 'llama', day: '2026-11-23' },
          q: 'req-1',
          t: T0,
        },
        { op: 'r', id: 'r2', a: '100000', k: ['global|d:2026-11-23'], e: T0 + 600_000, t: T0 },
        { op: 'n', id: 'r2', e: T0 + 1_200_000, t: T0 + 60_000 },
        { op: 'r', id: 'r3', a: '5', k: ['global|d:2026-11-23'], e: T0 + 600_000, t: T0 },
        { op: 'x', id: 'r3' },
        { op: 'tc', owner: 'o1', day: '2026-11-23', a: '10000000', t: T0, until: T0 + 120_000 },
        { op: 'tf', owner: 'o1', ok: true, t: T0 + 1000, a: '10000000', tx: '0xdef' },
        { op: 'p', key: 'payee', value: '0xabc' },
      ]),
    );
    const store = fileStore(path);
    const budget = createBudget(policy, { store, now: () => T0 + 120_000 });
    expect(await budget.remaining('agent:x')).toBeCloseTo(0.05, 9);
    expect(await budget.remaining()).toBeCloseTo(0.65, 9); // $1 − 0.25 spent − 0.10 still held by r2
    const windows = (await budget.report()).windows;
    expect(windows.find((w) => w.scope === 'global')).toMatchObject({ spentUsd: 0.25, reservedUsd: 0.1 });
    expect(await store.holds!(T0 + 120_000)).toEqual([
      { id: 'r2', micros: 100_000n, keys: [GLOBAL_DAY], expiresAt: T0 + 1_200_000 },
    ]);
    expect((await store.requests()).get('req-1')).toEqual({ micros: 250_000n, ambiguous: false });
    expect(await store.payments!()).toEqual([{ kind: 'topup', at: T0 + 1000, micros: 10_000_000n, tx: '0xdef' }]);
    expect(await store.getPin('payee')).toBe('0xabc');

    // The old hold settles under its migrated key; the file now mixes both formats and still loads.
    await store.commit({
      id: 'r2',
      actual: 80_000n,
      keys: [GLOBAL_DAY],
      usage: { scopes: ['global'], model: 'llama', day: '2026-11-23' },
      now: T0 + 130_000,
    });
    await store.close();
    const reopened = createBudget(policy, { store: fileStore(path), now: () => T0 + 140_000 });
    expect((await reopened.report()).totalUsd).toBeCloseTo(0.33, 9);
    expect((await reopened.report()).windows.find((w) => w.scope === 'global')).toMatchObject({
      spentUsd: 0.33,
      reservedUsd: 0,
    });
  });

  it('a 0.1 snapshot (positional rows) loads, and an expired hold in it can still be committed once', async () => {
    const path = join(tmp(), 'old-snap.jsonl');
    writeFileSync(
      path,
      legacy([
        {
          op: 'snap',
          state: {
            counters: [['global|d:2026-11-23', 250_000, 0]],
            reservations: [],
            usage: [['global', 'llama', '2026-11-23', 250_000, 1]],
            requests: [['req-1', 250_000, false]],
            pins: [['payee', '0xabc']],
            expired: [['late', T0]],
            series: [['2026-11-23T20', 'llama', ['global'], 250_000, 1]],
            payments: [],
            topUp: { count: 1, lastAt: T0, perDay: [['2026-11-23', 10_000_000]] },
          },
        },
        {
          op: 'c',
          id: 'late',
          a: '50000',
          k: ['global|d:2026-11-23'],
          u: { scopes: ['global'], model: 'llama', day: '2026-11-23' },
          t: T0 + 1000,
        },
      ]),
    );
    const store = fileStore(path);
    const budget = createBudget(policy, { store, now: () => T0 + 2000 });
    expect(await budget.remaining()).toBeCloseTo(0.7, 9);
    expect((await budget.report()).totalUsd).toBeCloseTo(0.3, 9);
    expect(await store.series!('2026-11-23T00')).toEqual([
      { hour: '2026-11-23T20', model: 'llama', scopes: ['global'], micros: 300_000n, calls: 2 },
    ]);
    expect(await store.getPin('payee')).toBe('0xabc');
  });

  it('refuses a 0.1 line that 0.1 itself would have refused, naming it', async () => {
    const path = join(tmp(), 'old-bad.jsonl');
    writeFileSync(
      path,
      legacy([
        { op: 'r', id: 'r1', a: '300000', k: oldKeys, e: T0 + 600_000, t: T0 },
        { op: 'r', id: 'r2', a: '-5', k: oldKeys, e: T0 + 600_000, t: T0 },
      ]),
    );
    await expect(fileStore(path).usage()).rejects.toMatchObject({ code: 'STORE_ERROR', details: { line: 2 } });
  });
});
