/**
 * An agent process of a fleet: a Redis budget (through the test's proxy) and the journal path every agent shares.
 * Driven line by line on stdin; answers one line per command on stdout.
 *   hold <n>       reserve n calls of $1 each          → held <n>
 *   commit         settle every held call at $1        → committed <journal size>
 *   call           once the client is connected, a new call (replays the journal first) → ok
 * argv: <redis port> <journal path> <name>
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { createBudget, type Reservation, redisStore } from '../../src/index.js';

const [port, journalPath, name] = process.argv.slice(2);
const client = new Redis(Number(port), '127.0.0.1', {
  maxRetriesPerRequest: 0,
  enableOfflineQueue: false,
  retryStrategy: () => 50,
});
client.on('error', () => {}); // the outage is the test's doing: ioredis reports it on every retry
await once(client, 'ready');
const budget = createBudget(
  { limits: { totalUsd: 100 } },
  { store: redisStore({ client, prefix: 'fleet-journal' }), journalPath },
);
const held: Reservation[] = [];
const answer = (line: string) => process.stdout.write(`${line}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  const [command, arg] = line.split(' ');
  if (command === 'hold') {
    for (let i = 0; i < Number(arg); i++) held.push(await budget.reserve({ estimateMicros: 1_000_000n }));
    answer(`held ${held.length}`);
  } else if (command === 'commit') {
    let i = 0;
    for (const r of held.splice(0)) await budget.commit(r, 1_000_000n, { requestId: `${name}-${i++}` });
    answer(`committed ${i}`);
  } else if (command === 'call') {
    if (client.status !== 'ready') await once(client, 'ready');
    await budget.release(await budget.reserve({ estimateMicros: 1n }));
    answer('ok');
  }
}
await budget.close();
client.disconnect();
