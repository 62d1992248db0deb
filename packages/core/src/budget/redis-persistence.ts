import { StoreError } from '../errors.js';
import type { RedisNode } from './redis-client.js';
import { pairs, str } from './redis-reply.js';

/**
 * Refuses a budget whose servers would forget spend on restart: the master that serves its slot and each of
 * that master's replicas (one of them takes over after a failover) must write an AOF or RDB snapshots. Replicas
 * are found with `ROLE` on the master and asked over a short-lived connection with the client's own options. A
 * server that does not allow CONFIG (managed services), or a replica that cannot be reached from here, cannot be
 * checked and is accepted.
 */
export async function checkPersistence(master: RedisNode | undefined, cluster: boolean): Promise<void> {
  if (!master)
    throw new StoreError('Cannot check Redis persistence: the cluster did not say which node serves the budget', {
      retryable: true,
    });
  await refuseVolatile(master, cluster ? 'The master serving this budget' : 'This Redis', 'master');
  for (const [host, port] of await replicasOf(master)) {
    const replica = await master.open?.(host, port).catch(() => undefined);
    if (!replica) continue;
    try {
      await refuseVolatile(replica, 'A replica of this budget’s master', 'replica');
    } finally {
      replica.close();
    }
  }
}

async function refuseVolatile(node: RedisNode, who: string, role: 'master' | 'replica') {
  let appendonly: string | undefined;
  let save: string | undefined;
  try {
    appendonly = pairs(await node.send(['CONFIG', 'GET', 'appendonly'])).get('appendonly');
    save = pairs(await node.send(['CONFIG', 'GET', 'save'])).get('save');
  } catch {
    return; // CONFIG is not allowed here: persistence cannot be checked
  }
  if (appendonly === 'no' && save === '')
    throw new StoreError(
      `${who} persists nothing (appendonly no, no save points): a restart would forget all spend. Enable AOF or RDB snapshots, or pass redisStore({ volatile: true }) to accept it`,
      { details: { node: node.address, role, appendonly, save } },
    );
}

/** `ROLE` on a master: `['master', offset, [[host, port, offset], …]]`. */
async function replicasOf(master: RedisNode): Promise<[string, number][]> {
  let role: unknown;
  try {
    role = await master.send(['ROLE']);
  } catch {
    return [];
  }
  if (!Array.isArray(role) || str(role[0]) !== 'master' || !Array.isArray(role[2])) return [];
  return role[2]
    .filter((r): r is unknown[] => Array.isArray(r) && r.length >= 2)
    .map((r) => [str(r[0]), Number(str(r[1]))] as [string, number])
    .filter(([, port]) => Number.isInteger(port) && port > 0);
}
