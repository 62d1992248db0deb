/**
 * Issue 25.15: agent processes sharing one `journalPath` (as the README's fleet example does). One is killed
 * during a store outage; the survivor's replay must keep, and write, what the dead one journaled.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBudget, redisStore } from '../src/index.js';
import { useRedis } from './helpers/budget-stores.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

const WORKER = fileURLToPath(new URL('./workers/journal-worker.ts', import.meta.url));
const redis = useRedis();
let proxy: TcpProxy;

beforeAll(async () => {
  proxy = await startTcpProxy(redis.server.port);
});
afterAll(async () => {
  await proxy.close();
});

/** An agent process; `send` writes a command and resolves with its one-line answer. */
function agent(journalPath: string, name: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, String(proxy.port), journalPath, name], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    child,
    exited,
    async send(command: string): Promise<string> {
      child.stdin.write(`${command}\n`);
      const next = await lines.next();
      if (next.done) throw new Error(`agent ${name} ended before answering ${command}`);
      return next.value;
    },
  };
}

it('two processes, one journal path, one killed during an outage: the survivor writes every paid commit', async () => {
  const journalPath = join(mkdtempSync(join(tmpdir(), 'vx402-journal-')), 'journal.jsonl');
  const a = agent(journalPath, 'a');
  const b = agent(journalPath, 'b');
  try {
    expect(await a.send('hold 4')).toBe('held 4');
    expect(await b.send('hold 3')).toBe('held 3');
    proxy.cut(); // the store goes down with 7 paid calls in flight
    expect(await b.send('commit')).toBe('committed 3');
    expect(await a.send('commit')).toBe('committed 4');
    expect(readFileSync(journalPath, 'utf8').trim().split('\n')).toHaveLength(7);
    a.child.kill('SIGKILL'); // a dies with its 4 commits in the shared journal
    await a.exited;
    proxy.restore();
    expect(await b.send('call')).toBe('ok'); // a new call first writes the journal: b's commits and a's

    const requests = await redisStore({ client: redis.client, prefix: 'fleet-journal' }).requests();
    expect([...requests.keys()].sort()).toEqual(['a-0', 'a-1', 'a-2', 'a-3', 'b-0', 'b-1', 'b-2']);
    const budget = createBudget({}, { store: redisStore({ client: redis.client, prefix: 'fleet-journal' }) });
    expect((await budget.report()).totalUsd).toBe(7);
    expect(readFileSync(journalPath, 'utf8')).toBe('');
  } finally {
    for (const p of [a, b]) p.child.kill('SIGKILL');
  }
}, 60_000);

it("a process that starts later adopts a dead process's journal before its first call, and nothing twice", async () => {
  const journalPath = join(mkdtempSync(join(tmpdir(), 'vx402-journal-')), 'journal.jsonl');
  const a = agent(journalPath, 'c');
  try {
    expect(await a.send('hold 2')).toBe('held 2');
    proxy.cut();
    expect(await a.send('commit')).toBe('committed 2');
    a.child.kill('SIGKILL');
    await a.exited;
    proxy.restore();
    const late = agent(journalPath, 'd');
    expect(await late.send('call')).toBe('ok');
    const again = agent(journalPath, 'e');
    expect(await again.send('call')).toBe('ok');
    for (const p of [late, again]) p.child.stdin.end();
    await Promise.all([late.exited, again.exited]);
    const requests = await redisStore({ client: redis.client, prefix: 'fleet-journal' }).requests();
    expect(requests.get('c-0')?.micros).toBe(1_000_000n);
    expect(requests.get('c-1')?.micros).toBe(1_000_000n);
    expect(readFileSync(journalPath, 'utf8')).toBe('');
  } finally {
    a.child.kill('SIGKILL');
  }
}, 60_000);

describe('the journal file as written by others', () => {
  const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);
  const legacyLine = (id: string, micros: number) =>
    JSON.stringify({
      id,
      actual: String(micros),
      keys: [],
      usage: { scopes: ['global'], model: 'm', day: dayOf(Date.now()) },
      requestId: id,
      now: Date.now(),
    });

  it("replays a 0.1 journal's lines (no owner) before the first call, and cuts a torn tail before appending", async () => {
    const journalPath = join(mkdtempSync(join(tmpdir(), 'vx402-journal-')), 'journal.jsonl');
    writeFileSync(journalPath, `${legacyLine('old-1', 300)}\n${legacyLine('old-2', 200)}\n{"owner":{"ho`);
    const c = new Redis(proxy.port, '127.0.0.1', { maxRetriesPerRequest: 0, enableOfflineQueue: false });
    await once(c, 'ready');
    const store = redisStore({ client: c, prefix: 'journal-file' });
    const budget = createBudget({}, { store, journalPath });
    try {
      const r = await budget.reserve({ estimateMicros: 10n }); // replays old-1 and old-2 first
      expect(readFileSync(journalPath, 'utf8')).toBe('');
      writeFileSync(journalPath, '{"owner":{"host":"torn'); // a writer killed mid-line
      proxy.cut();
      await budget.commit(r, 10n, { requestId: 'new' });
      expect(readFileSync(journalPath, 'utf8').split('\n')).toHaveLength(2); // one whole line, the torn tail gone
      proxy.restore();
      await once(c, 'ready');
      await budget.release(await budget.reserve({ estimateMicros: 1n }));
      const requests = await store.requests();
      expect([requests.get('old-1')?.micros, requests.get('old-2')?.micros, requests.get('new')?.micros]).toEqual([
        300n,
        200n,
        10n,
      ]);
    } finally {
      proxy.restore();
      c.disconnect();
    }
  });

  it('a line that is not an entry is a StoreError naming it, and the file is left as it was', () => {
    const journalPath = join(mkdtempSync(join(tmpdir(), 'vx402-journal-')), 'journal.jsonl');
    const content = `${legacyLine('ok', 1)}\n{"commit":{"id":"x","actual":"-5"}}\n${legacyLine('after', 2)}\n`;
    writeFileSync(journalPath, content);
    expect(() => createBudget({}, { journalPath })).toThrow(/journal.* line 2 is not a commit/);
    expect(readFileSync(journalPath, 'utf8')).toBe(content);
  });

  it('two budgets of one process share a path: what a closed one left, the other adopts, with nothing of its own', async () => {
    const journalPath = join(mkdtempSync(join(tmpdir(), 'vx402-journal-')), 'journal.jsonl');
    const c = new Redis(proxy.port, '127.0.0.1', { maxRetriesPerRequest: 0, enableOfflineQueue: false });
    await once(c, 'ready');
    const store = redisStore({ client: c, prefix: 'journal-two' });
    let t = Date.UTC(2026, 5, 15, 12);
    const first = createBudget({ limits: { totalUsd: 1 } }, { store, journalPath, now: () => t });
    const second = createBudget({ limits: { totalUsd: 1 } }, { store, journalPath, now: () => t });
    try {
      await second.release(await second.reserve({ estimateMicros: 1n })); // second has looked at the file
      const a = await first.reserve({ estimateMicros: 500_000n });
      proxy.cut();
      await first.commit(a, 500_000n, { requestId: 'first' });
      await first.close(); // its entry is nobody's now
      proxy.restore();
      await once(c, 'ready');
      t += 5_000; // the next look at the file finds it
      await expect(second.reserve({ estimateMicros: 600_000n })).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
      expect((await store.requests()).get('first')?.micros).toBe(500_000n);
      expect(readFileSync(journalPath, 'utf8')).toBe('');
    } finally {
      proxy.restore();
      c.disconnect();
    }
  });
});
