import { connect } from 'node:net';
import { startDashboard } from '@venice-x402/cli';
import { createBudget, memoryStore } from '@venice-x402/core';
import { afterAll, expect, it } from 'vitest';

// A page that stops reading its event stream must not grow the dashboard's memory: the server drops it once a
// bounded backlog waits for it (a browser's EventSource then reconnects to a fresh snapshot).
const scopes = Object.fromEntries(
  Array.from({ length: 60 }, (_, i) => [`agent:${'x'.repeat(40)}-${i}`, { dailyUsd: 5 }]),
);
const budget = createBudget({ limits: { dailyUsd: 1_000 }, scopes }, { store: memoryStore() });
afterAll(() => budget.close());

it('drops an event stream whose reader stopped reading, after a bounded backlog', async () => {
  const dash = await startDashboard({ budget, pollMs: 5 });
  try {
    const socket = connect(dash.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(`GET /api/events?token=${dash.token} HTTP/1.1\r\nHost: 127.0.0.1:${dash.port}\r\n\r\n`);
    socket.pause(); // stops reading: the kernel's buffers fill, then the server's
    const snapshotBytes = JSON.stringify(await dash.snapshot()).length;
    // Enough changed snapshots to fill loopback socket buffers (a few MiB) and the server's backlog over again.
    const changes = Math.ceil((12 * 1024 * 1024) / snapshotBytes);
    const names = Object.keys(scopes);
    for (let i = 0; i < changes; i++) {
      const r = await budget.reserve({ estimateMicros: 1n, scope: names[i % names.length] });
      await budget.commit(r, 1n);
      await new Promise((resolve) => setTimeout(resolve, 6)); // a poll: each change is one more snapshot pushed
    }
    // Reading again: a dropped stream ends once its buffered bytes are read; a kept one never does.
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    const ended = await new Promise<boolean>((resolve) => {
      socket.once('end', () => resolve(true));
      socket.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 15_000).unref();
      socket.resume();
    });
    socket.destroy();
    expect(ended).toBe(true);
    expect(received).toBeLessThan(12 * 1024 * 1024);
  } finally {
    await dash.close();
  }
}, 120_000);
