import { createHash } from 'node:crypto';
import { StoreError, StoreInputError } from '../errors.js';
import type { RedisAdapter, RedisLike } from './redis-client.js';
import type { RedisKeys } from './redis-keys.js';
import { LUA_PRELUDE } from './redis-lua.js';
import { FORMAT, LEGACY_MONTH, legacySettledDays, MIGRATE, planMigration } from './redis-migration.js';
import { checkPersistence } from './redis-persistence.js';
import { pairs, str } from './redis-reply.js';
import { confirmedSender } from './redis-wait.js';

export interface RunOptions {
  /** Also answer how many replicas have it (WAIT). */
  confirm?: boolean;
  /** What the script does, for error messages (`commit`, `reservation`, …). */
  what: string;
  /** The month of the request records and the day of the series the script writes. */
  month?: string;
  day?: string;
  /** Keys declared after the table's. */
  extra?: string[];
}

/**
 * Runs the budget's scripts: the prelude and the script as one source, its one JSON argument, the declared keys,
 * EVALSHA (EVAL the first time a server sees it). An argument a script refuses is a StoreError naming the field,
 * never retried; anything else a retryable StoreError. `ready()` runs once before the first operation: the
 * migration of a budget written by version 0.1, and before the first reservation the persistence check.
 */
export function redisRunner(o: {
  client: RedisLike;
  adapter: RedisAdapter;
  keys: RedisKeys;
  volatile: boolean;
  replicaCount: number;
  replicaTimeoutMs: number;
}) {
  const confirmed =
    o.replicaCount > 0 ? confirmedSender(o.adapter, o.client, o.replicaCount, o.replicaTimeoutMs) : undefined;
  const sources = new Map<string, { body: string; sha: string }>();
  const compiled = (script: string) => {
    let entry = sources.get(script);
    if (!entry) {
      const body = `${LUA_PRELUDE}\n${script}`;
      sources.set(script, (entry = { body, sha: createHash('sha1').update(body).digest('hex') }));
    }
    return entry;
  };

  async function run(script: string, input: object, opts: RunOptions): Promise<[any, number]> {
    const { body, sha } = compiled(script);
    const declared = o.keys.declared({ month: opts.month, day: opts.day, extra: opts.extra });
    const exec = (verb: string, source: string): Promise<[unknown, number]> => {
      const command = [verb, source, String(declared.length), ...declared, JSON.stringify(input, wellFormed)];
      return opts.confirm && confirmed
        ? confirmed(command, declared[0]!)
        : o.adapter.send(command).then((reply) => [reply, o.replicaCount]);
    };
    try {
      return await exec('EVALSHA', sha).catch((error) => {
        if (!/NOSCRIPT/i.test(String((error as Error)?.message))) throw error;
        return exec('EVAL', body);
      });
    } catch (error) {
      throw storeError(error, opts.what);
    }
  }
  const script = async (source: string, input: object, what: string) => (await run(source, input, { what }))[0];

  let migrated: Promise<void> | undefined;
  let persistent: Promise<void> | undefined;
  const once = (memo: Promise<void> | undefined, work: () => Promise<void>, reset: () => void) =>
    memo ??
    work().catch((error) => {
      reset();
      throw error;
    });

  async function migrate() {
    const meta = o.keys.key('meta');
    if (str(await o.adapter.send(['HGET', meta, 'format'])) === FORMAT) return;
    const [spent, reserved, windows, holds, usage, calls] = (await Promise.all([
      o.adapter.send(['HKEYS', o.keys.key('spent')]),
      o.adapter.send(['HKEYS', o.keys.key('reserved')]),
      o.adapter.send(['ZRANGE', o.keys.key('windows'), '0', '-1']),
      o.adapter.send(['HGETALL', o.keys.key('holds')]),
      o.adapter.send(['HKEYS', o.keys.key('usage')]),
      o.adapter.send(['HKEYS', o.keys.key('calls')]),
    ])) as unknown[][];
    const plan = planMigration({
      spent: spent!.map(str),
      reserved: reserved!.map(str),
      windows: windows!.map(str),
      holds: pairs(holds),
      usage: usage!.map(str),
      calls: calls!.map(str),
    });
    // 0.1 kept settled ids in a set per (client) day for 3 days: the days around today cover them.
    const extra = legacySettledDays(Date.now()).map(o.keys.legacySettled);
    await run(MIGRATE, plan, { what: 'migration', month: LEGACY_MONTH, extra });
  }

  async function ready({ reserving = false } = {}) {
    await (migrated = once(migrated, migrate, () => (migrated = undefined)));
    if (reserving && !o.volatile) {
      const check = async () => checkPersistence(await o.adapter.slotMaster(o.keys.key('spent')), o.adapter.isCluster);
      await (persistent = once(persistent, check, () => (persistent = undefined)));
    }
  }

  return { run, script, ready };
}

/**
 * Lua's cjson refuses a lone UTF-16 surrogate (`"\ud800"`), which a hostile server can put in a model name; Redis
 * would store it as U+FFFD anyway (strings travel as UTF-8), so it is replaced here, the same way for every call.
 */
const wellFormed = (_key: string, value: unknown) =>
  typeof value === 'string' ? ((value as { toWellFormed?(): string }).toWellFormed?.() ?? value) : value;

function storeError(error: unknown, what: string): StoreError | StoreInputError {
  const message = String((error as Error)?.message ?? error);
  const invalid = /VX402_INVALID (\S+) (.*)/.exec(message);
  if (invalid) {
    const [, field, reason] = invalid as unknown as [string, string, string];
    return new StoreInputError(what, field, reason);
  }
  return new StoreError('Redis budget operation failed', { cause: error, retryable: true });
}
