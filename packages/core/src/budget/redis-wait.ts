import type { RedisAdapter, RedisNode } from './redis-client.js';

/**
 * A write confirmed by `WAIT <replicas> <timeout>`. Redis replicates asynchronously: a write its master
 * acknowledged but had not sent on is lost when a replica takes over. WAIT answers how many replicas have
 * everything the connection that sends it wrote before it, so a reservation or commit is trusted only once that
 * many have it.
 *
 * A WAIT blocks its connection until it answers. So that a stalled replica costs each call one timeout (not one
 * per call queued before it), the writes of one connection share WAITs: a write sent while a WAIT is out is
 * covered by the next one, sent as soon as that WAIT answers. Any write waits at most two timeouts.
 */

/** Sends one command; answers [reply or error, replicas that acknowledged]. */
export type ConfirmedSend = (args: string[], routingKey: string) => Promise<[unknown, number]>;

const REDIRECT = /^(MOVED|ASK|CLUSTERDOWN|TRYAGAIN)/;

/** The WAIT that covers every write sent on one connection before it is called. */
type Cover = () => Promise<number>;

// Per connection (and replica count / timeout): every store on one client shares its WAITs.
const covers = new WeakMap<object, Map<string, Cover>>();

function coverFor(node: RedisNode, replicas: number, timeoutMs: number): Cover {
  let byOptions = covers.get(node.connection);
  if (!byOptions) covers.set(node.connection, (byOptions = new Map()));
  const id = `${replicas}/${timeoutMs}`;
  let cover = byOptions.get(id);
  if (!cover) byOptions.set(id, (cover = sharedWait(node, replicas, timeoutMs)));
  return cover;
}

function sharedWait(node: RedisNode, replicas: number, timeoutMs: number): Cover {
  let out: Promise<number> | undefined; // the latest WAIT
  let sent = false; // whether `out` is on the wire (a write after it needs the next one)
  let next: Promise<number> | undefined; // the WAIT sent once `out` answers
  const send = (): Promise<number> => {
    sent = false;
    next = undefined;
    // Sent after the writes of this turn of the event loop, so that concurrent calls share it.
    const wait = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      sent = true;
      return node.send(['WAIT', String(replicas), String(timeoutMs)]).then(Number, () => 0);
    });
    out = wait;
    wait.then(() => {
      if (out === wait) out = undefined;
    });
    return wait;
  };
  return () => {
    if (!out) return send();
    if (!sent) return out;
    next ??= out.then(send);
    return next;
  };
}

export function confirmedSender(
  adapter: RedisAdapter,
  client: any,
  replicas: number,
  timeoutMs: number,
): ConfirmedSend {
  return async (args, routingKey) => {
    const node = await adapter.master(routingKey);
    // An ioredis Cluster that has not learnt its slots yet: a pipeline goes to the node of its keyed command.
    if (!node) return pipelined(client, args, ['WAIT', String(replicas), String(timeoutMs)]);
    const reply = node.send(args);
    const acked = coverFor(node, replicas, timeoutMs)();
    try {
      return [await reply, await acked];
    } catch (error) {
      // Sent to the slot's master directly, a write is not redirected: learn the new owner for the next attempt.
      if (REDIRECT.test(String((error as Error)?.message))) await adapter.refresh(routingKey);
      throw error;
    }
  };
}

async function pipelined(client: any, args: string[], wait: string[]): Promise<[unknown, number]> {
  const replies: [Error | null, unknown][] = await client
    .pipeline()
    .call(...args)
    .call(...wait)
    .exec();
  const [[error, reply], [waitError, acked]] = replies as [[Error | null, unknown], [Error | null, unknown]];
  if (error) {
    if (REDIRECT.test(error.message)) client.refreshSlotsCache?.();
    throw error;
  }
  return [reply, waitError ? 0 : Number(acked)];
}
