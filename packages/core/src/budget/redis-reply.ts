/** Replies as the clients hand them over: strings or Buffers, flat arrays (RESP2), pairs or Maps (RESP3). */

export const str = (v: unknown) => (Buffer.isBuffer(v) ? v.toString() : String(v));

/** HGETALL / CONFIG GET / ZRANGE … WITHSCORES as a Map, whichever shape the client answered with. */
export function pairs(reply: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (Array.isArray(reply) && reply.length > 0 && reply.every(Array.isArray))
    for (const [k, v] of reply) out.set(str(k), str(v)); // RESP3 pairs
  else if (Array.isArray(reply))
    for (let i = 0; i + 1 < reply.length; i += 2) out.set(str(reply[i]), str(reply[i + 1]));
  else if (reply instanceof Map) for (const [k, v] of reply) out.set(str(k), str(v));
  else if (reply && typeof reply === 'object') for (const [k, v] of Object.entries(reply)) out.set(k, str(v));
  return out;
}

/** Every field of a hash, read with HSCAN a page at a time (never one HGETALL of a large hash). */
export async function* scanHash(
  send: (args: string[]) => Promise<unknown>,
  key: string,
  pageSize = 1000,
): AsyncGenerator<[string, string]> {
  let cursor = '0';
  do {
    const reply = (await send(['HSCAN', key, cursor, 'COUNT', String(pageSize)])) as
      | unknown[]
      | Record<string, unknown>;
    const [next, fields] = Array.isArray(reply)
      ? [reply[0], reply[1]]
      : [(reply as any).cursor, (reply as any).entries ?? (reply as any).tuples];
    cursor = str(next);
    yield* pairs(fields);
  } while (cursor !== '0');
}
