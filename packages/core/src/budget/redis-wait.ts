/**
 * A write and `WAIT <replicas> <timeout>` in one round trip, on the connection the write went through. Redis
 * replicates asynchronously: a write its master acknowledged but had not sent on is lost when a replica takes over.
 * WAIT answers how many replicas have everything this connection wrote, so a reservation or commit is trusted only
 * once that many have it.
 */

/** Sends one command; answers [reply or error, replicas that acknowledged]. */
export type ConfirmedSend = (args: string[], routingKey: string) => Promise<[unknown, number]>;

const REDIRECT = /^(MOVED|ASK|CLUSTERDOWN|TRYAGAIN)/;

export function confirmedSender(client: any, replicas: number, timeoutMs: number): ConfirmedSend {
  const wait = ['WAIT', String(replicas), String(timeoutMs)];
  const settle = async (pair: [Promise<unknown>, Promise<unknown>]): Promise<[unknown, number]> => {
    const [reply, acked] = await Promise.allSettled(pair);
    if (reply.status === 'rejected') throw reply.reason;
    return [reply.value, acked.status === 'fulfilled' ? Number(acked.value) : 0];
  };

  // ioredis client or Cluster: a pipeline goes to the node of its keyed commands, the keyless WAIT with it.
  if (typeof client.pipeline === 'function') {
    return async (args) => {
      const replies: [Error | null, unknown][] = await client
        .pipeline()
        .call(...args)
        .call(...wait)
        .exec();
      const [[error, reply], [waitError, acked]] = replies as [[Error | null, unknown], [Error | null, unknown]];
      if (error) {
        // A pipeline is not redirected unless every reply is: learn the new slot owner for the next attempt.
        if (REDIRECT.test(error.message)) client.refreshSlotsCache?.();
        throw error;
      }
      return [reply, waitError ? 0 : Number(acked)];
    };
  }
  // node-redis cluster: WAIT is fanned out to every master by its command policy, so both go to the slot
  // master's own client (a MOVED answer is an error here; the cluster's next routed command rediscovers).
  if ('masters' in client && typeof client.getNodeClientForKey === 'function') {
    return async (args, routingKey) => {
      let node: any;
      try {
        node = await client.getNodeClientForKey(routingKey, false);
      } catch (error) {
        await client.sendCommand(routingKey, false, ['EXISTS', routingKey]).catch(() => {});
        throw error;
      }
      try {
        return await settle([node.sendCommand(args), node.sendCommand(wait)]);
      } catch (error) {
        if (REDIRECT.test(String((error as Error)?.message)))
          await client.sendCommand(routingKey, false, ['EXISTS', routingKey]).catch(() => {});
        throw error;
      }
    };
  }
  // One connection (ioredis `call`, node-redis `sendCommand`): both written at once, answered in order.
  if (typeof client.call === 'function') return (args) => settle([client.call(...args), client.call(...wait)]);
  if (typeof client.sendCommand === 'function')
    return (args) => settle([client.sendCommand(args), client.sendCommand(wait)]);
  throw new Error('unsupported Redis client');
}
