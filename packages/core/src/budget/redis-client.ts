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
}

/** What the store needs from a client, whichever library and topology it is. */
export interface RedisAdapter {
  readonly isCluster: boolean;
  /** Sends a command; on a cluster it is routed by its first key (EVAL / EVALSHA: the first declared key). */
  send(args: string[]): Promise<unknown>;
  /** The connection to the master serving `key`, or undefined while the cluster has not said which it is. */
  master(key: string): Promise<RedisNode | undefined>;
  /** The master serving `key` and its replicas (on a single server: that server). */
  slotNodes(key: string): Promise<RedisNode[]>;
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
  const node: RedisNode = { connection: c, send };
  return {
    isCluster: false,
    send,
    master: async () => node,
    slotNodes: async () => [node],
    refresh: async () => {},
  };
}

function ioredisCluster(cluster: any): RedisAdapter {
  const nodeAt = (address: string | undefined): RedisNode | undefined => {
    const redis = (cluster.nodes('all') as any[]).find((n) => `${n.options.host}:${n.options.port}` === address);
    return redis && { connection: redis, address, send: (args) => redis.call(...args) };
  };
  const slotAddresses = (key: string): string[] => cluster.slots?.[keySlot(key)] ?? [];
  return {
    isCluster: true,
    send: (args) => cluster.call(...args),
    master: async (key) => nodeAt(slotAddresses(key)[0]),
    async slotNodes(key) {
      if (slotAddresses(key).length === 0) await cluster.call('EXISTS', key); // connects and learns the slots
      return slotAddresses(key)
        .map(nodeAt)
        .filter((n): n is RedisNode => n !== undefined);
    },
    refresh: async () => cluster.refreshSlotsCache?.(),
  };
}

function nodeRedisCluster(cluster: any): RedisAdapter {
  const wrap = (client: any, address?: string): RedisNode => ({
    connection: client,
    address,
    send: (args) => client.sendCommand(args),
  });
  const hasNodeClients = typeof cluster.getNodeClientForKey === 'function';
  return {
    isCluster: true,
    // Routed by the first key (every key of ours is in one slot).
    send: (args) => cluster.sendCommand(firstKeyOf(args), false, args),
    master: async (key) => (hasNodeClients ? wrap(await cluster.getNodeClientForKey(key, false)) : undefined),
    async slotNodes(key) {
      const shard = cluster.slots?.[keySlot(key)];
      if (!shard || typeof cluster.nodeClient !== 'function') return [];
      const nodes = [shard.master, ...(shard.replicas ?? [])];
      return Promise.all(nodes.map(async (n: any) => wrap(await cluster.nodeClient(n), `${n.host}:${n.port}`)));
    },
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
