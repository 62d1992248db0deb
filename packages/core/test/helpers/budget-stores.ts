import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { type BudgetStore, fileStore, memoryStore, redisStore } from '../../src/index.js';
import { type RedisServer, redisServerAvailable, startRedisServer } from './redis-server.js';

/** The redis-server of one test file and an ioredis client on it. */
export interface TestRedis {
  /** False only when the file made Redis optional and redis-server is not installed. */
  readonly available: boolean;
  readonly server: RedisServer;
  readonly client: Redis;
  /** A key prefix no other test of the file has used: each test gets books of its own. */
  prefix(name: string): string;
}

/**
 * Starts a throwaway redis-server and a client before the file's tests and stops them after. `optional`: without
 * redis-server installed (and not in CI) nothing starts, `available` is false, and the file's Redis tests skip.
 */
export function useRedis({ optional = false }: { optional?: boolean } = {}): TestRedis {
  const available = !optional || redisServerAvailable();
  let server: RedisServer | undefined;
  let client: Redis | undefined;
  let prefixes = 0;
  beforeAll(async () => {
    if (!available) return;
    server = await startRedisServer();
    client = new Redis(server.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });
  const running = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('redis-server is not running (used outside a test, or not installed)');
    return value;
  };
  return {
    available,
    get server() {
      return running(server);
    },
    get client() {
      return running(client);
    },
    prefix: (name) => `${name}${++prefixes}`,
  };
}

/** A store on fresh books, and a second handle on the same books (what another process would open). */
export interface StoreBooks {
  store: BudgetStore;
  reopen(): BudgetStore;
}

/** Each kind of store (memory, file; Redis when `redis` is given and available), opened on fresh books. */
export function everyReopenableStore(name: string, redis?: TestRedis): [string, () => StoreBooks][] {
  const kinds: [string, () => StoreBooks][] = [
    [
      'memory',
      () => {
        const store = memoryStore();
        return { store, reopen: () => store };
      },
    ],
    [
      'file',
      () => {
        const path = join(mkdtempSync(join(tmpdir(), `vx402-${name}-`)), 'b.jsonl');
        return { store: fileStore(path), reopen: () => fileStore(path) };
      },
    ],
  ];
  if (redis?.available) {
    kinds.push([
      'redis',
      () => {
        const prefix = redis.prefix(name);
        return {
          store: redisStore({ client: redis.client, prefix }),
          reopen: () => redisStore({ client: redis.client, prefix }),
        };
      },
    ]);
  }
  return kinds;
}

/** Each kind of store, a fresh one per call: for `describe.each(everyStore(…))`. */
export function everyStore(name: string, redis?: TestRedis): [string, () => BudgetStore][] {
  return everyReopenableStore(name, redis).map(([kind, open]) => [kind, () => open().store]);
}
