import { type BudgetStore, NetworkError, redisStore } from '@venice-x402/core';
import { UsageError } from './output.js';

/** Clients opened by this process: a command that ends early (an error) must not leave a socket keeping it alive. */
const open = new Set<{ disconnect(): void }>();

export function disconnectRedisStores() {
  for (const client of open) client.disconnect();
  open.clear();
}

export interface OpenedRedisStore {
  store: BudgetStore;
  /** Where it is, for messages: scheme, host, port and database, never a user name or password. */
  where: string;
  /** Disconnects the client (the store itself never closes a client it was given). */
  disconnect(): void;
}

/** `redis://host:port/db` without credentials; a value that is not a Redis URL is refused without being echoed. */
export function redisLocation(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError('--redis-url must be a redis:// or rediss:// URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new UsageError('--redis-url must be a redis:// or rediss:// URL');
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}${parsed.pathname.length > 1 ? parsed.pathname : ''}`;
}

export function redisUrlHasPassword(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.password !== '' || parsed.username !== '';
  } catch {
    return false;
  }
}

/**
 * The budget store on Redis, as every agent of a fleet opens it (`redisStore({ client, prefix })`). ioredis is
 * loaded only here, so commands on the file store never load it. Fails fast (one ping) when Redis is unreachable.
 */
export async function openRedisBudgetStore(url: string, prefix: string | undefined): Promise<OpenedRedisStore> {
  const where = redisLocation(url);
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 1 });
  client.on('error', () => {}); // reported by the ping below or by the store's own typed errors
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    // ioredis messages can carry the host but not the password; ours names the redacted location only.
    throw new NetworkError(`Cannot reach the Redis budget store at ${where}`, {
      details: {
        reason: String((error as Error)?.message ?? error)
          .replace(/\/\/[^@/]*@/g, '//')
          .slice(0, 120),
      },
    });
  }
  open.add(client);
  return {
    store: redisStore({ client, ...(prefix ? { prefix } : {}) }),
    where,
    disconnect: () => {
      open.delete(client);
      client.disconnect();
    },
  };
}
