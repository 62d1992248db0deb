/**
 * What the budget's Lua scripts cost the Redis server: 64 callers reserve + commit on one redis-server for 3 s, and
 * Redis's own `commandstats` give the server time per script call and per pair; the client's CPU per pair beside it.
 * Run: pnpm build && [REDIS_COMPARE_CORE=<another core build's index.js>] node --import tsx bench/redis-scripts.ts
 * (with a second build, the two alternate, twice each).
 */
import * as self from '@venice-x402/core';
import { Redis } from 'ioredis';
import { startRedisServer } from '../packages/core/test/helpers/redis-server.js';

type Core = Pick<typeof self, 'createBudget' | 'redisStore'>;
const compare = process.env.REDIS_COMPARE_CORE;
const other: Core | undefined = compare ? await import(compare) : undefined;
const builds: [string, Core][] = [['this build', self], ...(other ? ([[compare!, other]] as [string, Core][]) : [])];
const server = await startRedisServer();
const admin = new Redis(server.url);
console.log(
  `Node ${process.version}, redis-server ${(await admin.info('server')).match(/redis_version:(\S+)/)?.[1]}\n`,
);
console.log(
  '| build | pairs / s (64 callers) | script calls / pair | server µs / script call | server µs / pair | client CPU / pair |',
);
console.log('|---|---|---|---|---|---|');
for (let turn = 0; turn < (other ? 2 : 1); turn++) {
  for (const [name, core] of builds) {
    const client = new Redis(server.url);
    const store = core.redisStore({ client, prefix: `bench${turn}${name.length}` });
    const budget = core.createBudget({ limits: { dailyUsd: 1e9, totalUsd: 1e9 } }, { store });
    await admin.config('RESETSTAT');
    const cpu0 = process.cpuUsage();
    let pairs = 0;
    const deadline = performance.now() + 3000;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (performance.now() < deadline) {
          const held = await budget.reserve({ estimateMicros: 1000n, model: 'm' });
          await budget.commit(held, 900n);
          pairs++;
        }
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    const line = (await admin.info('commandstats')).split('\n').find((l) => l.startsWith('cmdstat_evalsha:')) ?? '';
    const calls = Number(/calls=(\d+)/.exec(line)?.[1] ?? 0);
    const usec = Number(/usec=(\d+)/.exec(line)?.[1] ?? 0);
    console.log(
      `| ${name} | ${Math.round(pairs / 3).toLocaleString('en-US')} | ${(calls / pairs).toFixed(2)} | ${(usec / calls).toFixed(1)} | ${(usec / pairs).toFixed(1)} | ${((cpu.user + cpu.system) / pairs).toFixed(0)} µs |`,
    );
    await budget.close();
    client.disconnect();
  }
}
admin.disconnect();
await server.stop();
