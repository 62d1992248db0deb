import { StoreError } from '../errors.js';
import { keySlot } from './redis-slot.js';

/**
 * Anything that can send a raw Redis command: an ioredis client or Cluster (`call`), a node-redis client or
 * cluster (`sendCommand`).
 */
export type RedisLike =
  | { call(command: string, ...args: (string | number)[]): Promise<unknown> }
  | { sendCommand(args: string[]): Promise<unknown> }
  /** A node-redis cluster (`createCluster`): commands are routed by their first key. */
  | { masters: unknown; sendCommand(firstKey: any, isReadonly: any, args: any): Promise<unknown> };

/** One connection to one server: commands on it run in the order they were sent. */
export interface RedisNode {
  /** Identifies the connection (several budgets on one client share its WAITs). */
  readonly connection: object;
  /** `host:port` when known, for messages. */
  readonly address?: string;
  send(args: string[]): Promise<unknown>;
  /** A second, short-lived connection with the same options (credentials, TLS) to another server. */
  open?(host: string, port: number): Promise<RedisNode & { close(): void }>;
}

/** What the store needs from a client, whichever library and topology it is. */
export interface RedisAdapter {
  readonly isCluster: boolean;
  /** Sends a command; on a cluster it is routed by its first key (EVAL / EVALSHA: the first declared key). */
  send(args: string[]): Promise<unknown>;
  /** The connection to the master serving `key`, or undefined while the cluster has not said which it is. */
  master(key: string): Promise<RedisNode | undefined>;
  /** The master serving `key` (on a single server: that server). */
  slotMaster(key: string): Promise<RedisNode | undefined>;
  /** After a MOVED / ASK answer: learn the new slot owners. */
  refresh(key: string): Promise<void>;
}

export function redisAdapter(client: RedisLike): RedisAdapter {
  const c = client as any;
  if ('masters' in c && typeof c.sendCommand === 'function') return nodeRedisCluster(c);
  if (c.isCluster === true && typeof c.call === 'function') return ioredisCluster(c);
  const send: (args: string[]) => Promise<unknown> =
    typeof c.call === 'function'
      ? (args) => c.call(...args)
      : typeof c.sendCommand === 'function'
        ? (args) => c.sendCommand(args)
        : () => {
            throw new StoreError('redisStore needs an ioredis or node-redis client');
          };
  const node = nodeOf(c);
  return {
    isCluster: false,
    send,
    master: async () => node,
    slotMaster: async () => node,
    refresh: async () => {},
  };
}

/** A connection of ioredis (`call`, `duplicate`) or node-redis (`sendCommand`, `duplicate`). */
function nodeOf(client: any, address?: string): RedisNode {
  if (typeof client.call === 'function')
    return {
      connection: client,
      address,
      send: (args) => client.call(...args),
      async open(host, port) {
        const other = client.duplicate({ host, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: null });
        other.on('error', () => {});
        await other.connect();
        return { ...nodeOf(other, `${host}:${port}`), close: () => other.disconnect() };
      },
    };
  return {
    connection: client,
    address,
    send: (args) => client.sendCommand(args),
    async open(host, port) {
      const socket = { ...client.options?.socket, host, port, reconnectStrategy: false };
      const other = client.duplicate({ url: undefined, socket }); // the URL (parsed into the options) names the master

      other.on('error', () => {});
      await other.connect();
      return { ...nodeOf(other, `${host}:${port}`), close: () => other.destroy() };
    },
  };
}

function ioredisCluster(cluster: any): RedisAdapter {
  const masterAt = (key: string): RedisNode | undefined => {
    const address: string | undefined = cluster.slots?.[keySlot(key)]?.[0];
    const redis = (cluster.nodes('all') as any[]).find((n) => `${n.options.host}:${n.options.port}` === address);
    return redis && nodeOf(redis, address);
  };
  return {
    isCluster: true,
    send: (args) => cluster.call(...args),
    master: async (key) => masterAt(key),
    async slotMaster(key) {
      if (!masterAt(key)) await cluster.call('EXISTS', key); // connects and learns the slots
      return masterAt(key);
    },
    refresh: async () => cluster.refreshSlotsCache?.(),
  };
}

function nodeRedisCluster(cluster: any): RedisAdapter {
  const hasNodeClients = typeof cluster.getNodeClientForKey === 'function';
  const master = async (key: string) => {
    if (!hasNodeClients) return undefined;
    const client = await cluster.getNodeClientForKey(key, false);
    const { host, port } = client.options?.socket ?? {};
    return nodeOf(client, host && port ? `${host}:${port}` : undefined);
  };
  return {
    isCluster: true,
    // Routed by the first key (every key of ours is in one slot).
    send: (args) => cluster.sendCommand(firstKeyOf(args), false, args),
    master,
    slotMaster: master,
    // The cluster's next routed command rediscovers the slot owners.
    refresh: async (key) => {
      await cluster.sendCommand(key, false, ['EXISTS', key]).catch(() => {});
    },
  };
}

/** The key a command is routed by: the first declared key of EVAL / EVALSHA, else the first argument. */
function firstKeyOf(args: string[]): string | undefined {
  const verb = args[0]?.toUpperCase();
  return verb === 'EVAL' || verb === 'EVALSHA' ? args[3] : args[1];
}
