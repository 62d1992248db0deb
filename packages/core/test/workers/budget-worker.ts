/**
 * A separate process that spends against a shared budget store. Used by the multi-process and crash
 * tests. argv: <file|redis> <path-or-url> <calls> <capUsd> [--report-durable]
 */
import { Redis } from 'ioredis';
import { createBudget, fileStore, redisStore } from '../../src/index.js';

const [kind, where, callsArg, capArg, flag] = process.argv.slice(2);
const calls = Number(callsArg);
const redis = kind === 'redis' ? new Redis(where!) : undefined;
const store = kind === 'redis' ? redisStore({ client: redis!, prefix: 'multi' }) : fileStore(where!);
const budget = createBudget({ limits: { totalUsd: Number(capArg) } }, { store });
let committed = 0n;
let refused = 0;
const pid = process.pid;
await Promise.all(
  Array.from({ length: 8 }, async (_, lane) => {
    for (let i = lane; i < calls; i += 8) {
      try {
        const r = await budget.reserve({ estimateMicros: 20_000n, model: 'm' });
        const actual = BigInt(Math.floor(Math.random() * 20_000));
        await budget.commit(r, actual, { requestId: `${pid}-${i}` });
        committed += actual;
        if (flag === '--report-durable') process.stdout.write(`durable ${pid}-${i} ${actual}\n`);
      } catch (error) {
        if ((error as { code?: string }).code !== 'BUDGET_EXCEEDED') throw error;
        refused++;
      }
    }
  }),
);
process.stdout.write(`${JSON.stringify({ committed: committed.toString(), refused })}\n`);
await budget.close();
redis?.disconnect();
