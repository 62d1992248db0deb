import { connect, type Socket } from 'node:net';
import { startDashboard } from '@venice-x402/cli';
import { createBudget, memoryStore } from '@venice-x402/core';
import { afterAll, afterEach, expect, it, vi } from 'vitest';

// A page that stops reading its event stream must not grow the dashboard's memory: the server drops it once a
// bounded backlog waits for it (a browser's EventSource then reconnects to a fresh snapshot).
const scopes = Object.fromEntries(
  Array.from({ length: 60 }, (_, i) => [`agent:${'x'.repeat(40)}-${i}`, { dailyUsd: 5 }]),
);
const budget = createBudget({ limits: { dailyUsd: 1_000 }, scopes }, { store: memoryStore() });
afterAll(() => budget.close());
afterEach(() => {
  vi.useRealTimers();
});

/** Opens `/api/events` on a raw socket (nothing read until the test says). */
async function openEvents(dash: { port: number; token: string }): Promise<Socket> {
  const socket = connect(dash.port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.write(`GET /api/events?token=${dash.token} HTTP/1.1\r\nHost: 127.0.0.1:${dash.port}\r\n\r\n`);
  return socket;
}

/** Counts the snapshot events a reading page received; `reached(n)` resolves once it has n. */
function countSnapshots(socket: Socket) {
  let text = '';
  let count = 0;
  let waiting: { n: number; resolve: () => void }[] = [];
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
      if (text.slice(0, end).includes('event: snapshot\n')) count++; // (chunk sizes may come first)
      text = text.slice(end + 2);
    }
    waiting = waiting.filter((w) => (count >= w.n ? void w.resolve() : true));
  });
  return {
    get count() {
      return count;
    },
    reached: (n: number) => new Promise<void>((resolve) => (count >= n ? resolve() : waiting.push({ n, resolve }))),
  };
}

it('drops an event stream whose reader stopped reading, after a bounded backlog', async () => {
  // The poll runs on fake time: each change below is pushed by exactly one poll, with no waiting in between.
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  const pollMs = 5;
  const dash = await startDashboard({ budget, pollMs });
  try {
    const stalled = await openEvents(dash);
    stalled.pause(); // stops reading: the kernel's buffers fill, then the server's
    const reader = countSnapshots(await openEvents(dash)); // a page that reads: it shows when a push happened
    await reader.reached(1); // its first snapshot: both streams are open
    const snapshotBytes = JSON.stringify(await dash.snapshot()).length;
    // Enough changed snapshots to fill loopback socket buffers (a few MiB) and the server's backlog over again.
    const changes = Math.ceil((12 * 1024 * 1024) / snapshotBytes);
    const names = Object.keys(scopes);
    for (let i = 0; i < changes; i++) {
      const r = await budget.reserve({ estimateMicros: 1n, scope: names[i % names.length] });
      await budget.commit(r, 1n);
      const pushed = reader.count + 1;
      vi.advanceTimersByTime(pollMs); // one poll: the change is one more snapshot pushed to both streams
      await reader.reached(pushed);
    }
    // Reading again: a dropped stream ends once its buffered bytes are read; a kept one never does (15 s bound).
    let received = 0;
    stalled.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    const ended = await new Promise<boolean>((resolve) => {
      stalled.once('end', () => resolve(true));
      stalled.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 15_000).unref();
      stalled.resume();
    });
    stalled.destroy();
    expect(ended).toBe(true);
    expect(received).toBeLessThan(12 * 1024 * 1024);
  } finally {
    await dash.close();
  }
}, 120_000);
