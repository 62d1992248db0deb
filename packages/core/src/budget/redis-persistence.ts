import { StoreError } from '../errors.js';
import type { RedisNode } from './redis-client.js';
import { pairs } from './redis-reply.js';

/**
 * Refuses a budget whose servers would forget spend on restart: the master that serves its slot and each of
 * that master's replicas (one of them takes over after a failover) must write an AOF or RDB snapshots. A server
 * that does not allow CONFIG (managed services) cannot be checked and is accepted.
 */
export async function checkPersistence(nodes: RedisNode[]): Promise<void> {
  if (nodes.length === 0)
    throw new StoreError('Cannot check Redis persistence: the cluster did not say which nodes serve the budget', {
      retryable: true,
    });
  await Promise.all(
    nodes.map(async (node, i) => {
      let appendonly: string | undefined;
      let save: string | undefined;
      try {
        appendonly = pairs(await node.send(['CONFIG', 'GET', 'appendonly'])).get('appendonly');
        save = pairs(await node.send(['CONFIG', 'GET', 'save'])).get('save');
      } catch {
        return; // CONFIG is not allowed here: persistence cannot be checked
      }
      if (appendonly === 'no' && save === '') {
        const role = nodes.length === 1 ? 'This Redis' : i === 0 ? 'The master serving this budget' : 'A replica';
        throw new StoreError(
          `${role} persists nothing (appendonly no, no save points): a restart would forget all spend. Enable AOF or RDB snapshots, or pass redisStore({ volatile: true }) to accept it`,
          { details: { node: node.address, role: i === 0 ? 'master' : 'replica', appendonly, save } },
        );
      }
    }),
  );
}
