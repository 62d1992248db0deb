import { StoreError } from '../errors.js';
import { jobToJson, parseJobJson } from './job-record.js';
import { type RedisLike, redisAdapter } from './redis-client.js';
import { REFUND, SAVE_JOB } from './redis-job-scripts.js';
import { redisKeys } from './redis-keys.js';
import { encodePayment, encodeSeriesField, encodeUsageField } from './redis-records.js';
import { pairs, str } from './redis-reply.js';
import { redisRunner } from './redis-runner.js';
import {
  CLAIM_TOP_UP,
  COMMIT,
  COUNTERS,
  FINISH_TOP_UP,
  HOLDS,
  LOG_REFUSAL,
  RELEASE,
  RENEW,
  RESERVE,
} from './redis-scripts.js';
import { decodeHolds, readPayments, readRefusals, readRequests, readSeries, readUsage } from './redis-views.js';
import { refusalJson } from './refusal-log.js';
import {
  type BudgetStore,
  type CommitArgs,
  type CounterState,
  JOB_RETENTION_MS,
  PAYMENT_LOG_SIZE,
  type PaymentRecord,
  REFUSAL_LOG_SIZE,
  type TopUpClaim,
  type TopUpClaimArgs,
} from './store.js';
import { checkJobRetention } from './store-input.js';
import { hourOf, windowExpiry } from './windows.js';

export type { RedisLike } from './redis-client.js';

export interface RedisStoreOptions {
  client: RedisLike;
  prefix?: string;
  /**
   * Accept a Redis that persists nothing (no AOF, no RDB snapshots): a restart forgets all spend, and the
   * budget starts again from zero. Refused by default.
   */
  volatile?: boolean;
  /**
   * Replicas that must have a reservation or commit before it counts (Redis `WAIT`). Replication is
   * asynchronous: without it, a failover loses what the old master acknowledged but had not sent on. An
   * unconfirmed reservation is refused and freed; an unconfirmed commit waits in the budget's journal and is
   * replayed. Default: 1 for a cluster client, 0 for a single server.
   */
  replicas?: number;
  /**
   * How long a write waits for its replicas (default 2000 ms). A healthy replica answers in about a millisecond;
   * the wait only runs out when replication is stalled or cut. Writes sent meanwhile share the next WAIT, so a
   * stall costs each call at most two of these.
   */
  replicaTimeoutMs?: number;
  /** How long a settled job record (failed, completed) is kept after it settled. Default `JOB_RETENTION_MS` (7 days). */
  jobRetentionMs?: number;
}

/**
 * Shared budget in Redis: every operation is one atomic Lua script, so any number of processes and machines can
 * reserve against the same limits. What is old or expired (holds, ended windows) is decided by the Redis server's
 * clock: a reservation's TTL is `expiresAt - now` of the caller, counted from the server's `TIME`. Pass a connected
 * ioredis or node-redis client; the store never closes it.
 */
export function redisStore({
  client,
  prefix = 'venice-x402:budget',
  volatile = false,
  replicas,
  replicaTimeoutMs = 2000,
  jobRetentionMs = JOB_RETENTION_MS,
}: RedisStoreOptions): BudgetStore {
  const retention = checkJobRetention(jobRetentionMs);
  const keys = redisKeys(prefix);
  const adapter = redisAdapter(client);
  const replicaCount = checkedReplicaCount(client, replicas ?? (adapter.isCluster ? 1 : 0), replicaTimeoutMs);
  const runner = redisRunner({ client, adapter, keys, volatile, replicaCount, replicaTimeoutMs });
  const { run, script, ready } = runner;
  const send = adapter.send;
  const unconfirmed = (what: string, acked: number) =>
    new StoreError(
      `Redis did not confirm the ${what} on ${replicaCount} replica(s) within ${replicaTimeoutMs} ms: a failover now could lose it`,
      { retryable: true, details: { replicas: replicaCount, acknowledged: acked } },
    );

  return {
    async reserve(args) {
      await ready({ reserving: true });
      const input = {
        id: args.id,
        amount: String(args.amount),
        ttl: ttlOf(args.expiresAt, args.now),
        counters: args.counters.map((c) => [c.key, String(c.limit)]),
      };
      const [r, acked] = await run(RESERVE, input, { confirm: true, what: 'reservation' });
      if (Number(r[0]) === 1 && acked < replicaCount) {
        // Fail closed: a hold a failover could forget would let others spend the same money.
        await script(RELEASE, { id: args.id }, 'release').catch(() => {}); // else it lapses with its TTL
        throw unconfirmed('reservation', acked);
      }
      if (Number(r[0]) === 1) return { ok: true };
      return {
        ok: false,
        key: str(r[1]),
        used: BigInt(str(r[2])) + BigInt(str(r[3])),
        limit: BigInt(str(r[4])),
      };
    },
    async commit(args) {
      await ready();
      const { input, day } = commitInput(args);
      const [applied, acked] = await run(COMMIT, input, {
        confirm: true,
        what: 'commit',
        month: input.month,
        day,
      });
      // Applied, or found applied before, but maybe not on a replica: the budget journals it and replays it
      // (settle-once) until a replica has it.
      if (Number(applied[0]) === 1 && acked < replicaCount) throw unconfirmed('commit', acked);
      if (Number(applied[0]) !== 1) {
        if (args.replay && acked < replicaCount) throw unconfirmed('commit', acked);
        return { ok: false };
      }
      return { ok: true, counters: counterStates(args.keys, applied, 2) };
    },
    async release(id) {
      await ready();
      return Number(await script(RELEASE, { id }, 'release')) === 1;
    },
    async renew(id, expiresAt, now) {
      await ready();
      return Number(await script(RENEW, { id, ttl: ttlOf(expiresAt, now) }, 'renewal')) === 1;
    },
    async counters(names) {
      await ready();
      return counterStates(names, await script(COUNTERS, { keys: names }, 'read'), 0);
    },
    async usage() {
      await ready();
      return readUsage(send, keys);
    },
    async requests() {
      await ready();
      return readRequests(send, keys);
    },
    async claimTopUp(a) {
      await ready();
      return decodeClaim(str(await script(CLAIM_TOP_UP, claimInput(a), 'top-up claim')));
    },
    async finishTopUp(owner, ok, now, topUp) {
      await ready();
      const record = topUp ? encodePayment({ kind: 'topup', at: now, micros: topUp.micros, tx: topUp.tx }) : undefined;
      await script(FINISH_TOP_UP, { owner, ok, record }, 'top-up');
    },
    async series(fromHour, toHour = hourOf(Date.now())) {
      await ready();
      return readSeries(send, keys, fromHour, toHour);
    },
    async holds(now) {
      await ready();
      return decodeHolds((await script(HOLDS, {}, 'read')) as unknown[], now);
    },
    async payments(limit = PAYMENT_LOG_SIZE) {
      if (limit <= 0) return [];
      await ready();
      return readPayments(send, keys, limit);
    },
    async logRefusal(record) {
      const entry = refusalJson(record);
      if (!entry) return;
      await ready();
      await script(LOG_REFUSAL, { record: JSON.stringify(entry) }, 'refusal');
    },
    async refusals(limit = REFUSAL_LOG_SIZE) {
      await ready();
      return readRefusals(send, keys, limit);
    },
    ...jobOperations(runner, send, keys, retention),
    async getPin(key) {
      const v = await send(['HGET', keys.key('pins'), key]);
      return v == null ? undefined : str(v);
    },
    async setPinIfAbsent(key, value) {
      await send(['HSETNX', keys.key('pins'), key, value.toLowerCase()]);
      return str(await send(['HGET', keys.key('pins'), key]));
    },
    async close() {},
  };
}

/** The replica count to wait for, refused when it is not a whole number or the client cannot honour it. */
function checkedReplicaCount(client: RedisLike, replicaCount: number, replicaTimeoutMs: number): number {
  if (!Number.isInteger(replicaCount) || replicaCount < 0 || !(replicaTimeoutMs > 0))
    throw new StoreError('redisStore: replicas must be a whole number ≥ 0 and replicaTimeoutMs a positive number', {
      details: { replicas: replicaCount, replicaTimeoutMs },
    });
  const c = client as any;
  if ('masters' in c && replicaCount > 0 && typeof c.getNodeClientForKey !== 'function')
    throw new StoreError(
      'redisStore: this node-redis cluster client cannot reach a slot master (no getNodeClientForKey): upgrade redis, or pass replicas: 0',
    );
  return replicaCount;
}

/** The top-up claim script's answer: a status, or `refused:<reason>:<retryAt>`. */
function decodeClaim(r: string): TopUpClaim {
  if (!r.startsWith('refused:')) return { status: r as 'claimed' | 'done-by-other' | 'busy' };
  const [, reason, retryAt] = r.split(':');
  return {
    status: 'refused',
    reason: reason as 'maxCount' | 'maxPerDay' | 'minInterval',
    retryAt: retryAt ? Number(retryAt) : undefined,
  };
}

/** A script's answer of spent, reserved pairs (from `offset`), keyed by the counter keys asked for. */
function counterStates(names: string[], flat: unknown[], offset: number) {
  const out = new Map<string, CounterState>();
  names.forEach((key, i) => {
    out.set(key, { spent: BigInt(str(flat[offset + i * 2])), reserved: BigInt(str(flat[offset + i * 2 + 1])) });
  });
  return out;
}

const finiteOrZero = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? n : 0);
/** A whole number from 0 to 10^15 (what the top-up script takes; policies allow any count or interval). */
const bounded = (n: number) => Math.min(1e15, Math.max(0, Math.round(finiteOrZero(n))));

/** A hold's TTL: what the caller's clock gives it, counted on the server's (at least 1 ms). */
function ttlOf(expiresAt: number, now: number): number {
  const ttl = Math.ceil(expiresAt - now);
  return Number.isFinite(ttl) ? Math.max(1, ttl) : Number.NaN;
}

/** The commit script's argument, and the day of the series it writes (the hour the call started). */
function commitInput(args: CommitArgs) {
  const { scopes, model, day } = args.usage;
  const hour = args.usage.hour ?? hourOf(args.now);
  const payment: PaymentRecord | undefined = args.paymentTx
    ? {
        kind: 'payment',
        at: args.now,
        micros: args.actual,
        tx: args.paymentTx,
        requestId: args.requestId,
        model,
        scopes,
      }
    : undefined;
  const input = {
    id: args.id,
    actual: String(args.actual),
    keys: args.keys,
    ends: args.keys.map((key) => finiteOrZero(windowExpiry(key))),
    usage: scopes.map((scope) => encodeUsageField(scope, model, day)),
    request: args.requestId,
    month: args.requestId === undefined ? undefined : String(day).slice(0, 7),
    ambiguous: args.ambiguous === true,
    replay: args.replay === true,
    series: encodeSeriesField(hour, model, scopes),
    payment: payment && encodePayment(payment),
  };
  return { input, day: hour.slice(0, 10) };
}

/** The top-up claim's argument: times as durations (the script reads the server's clock), counts bounded. */
const claimInput = (a: TopUpClaimArgs) => ({
  owner: a.owner,
  day: a.day,
  amount: String(a.amount),
  age: bounded(a.now - a.startedAt),
  maxCount: bounded(a.maxCount),
  maxPerDay: String(a.maxPerDay),
  minInterval: bounded(a.minIntervalMs),
  lockTtl: Math.max(1, bounded(a.lockTtlMs)),
});

/** Refund credits and job records (`venice/jobs`): the store's optional job operations. */
function jobOperations(
  { run, script, ready }: ReturnType<typeof redisRunner>,
  send: ReturnType<typeof redisAdapter>['send'],
  keys: ReturnType<typeof redisKeys>,
  retention: number,
): Pick<BudgetStore, 'refund' | 'saveJob' | 'jobs' | 'job'> {
  return {
    async refund(args) {
      await ready();
      const { scopes, model, day } = args.usage;
      const hour = args.usage.hour ?? hourOf(args.now);
      const input = {
        request: args.requestId,
        micros: String(args.micros),
        month: String(day).slice(0, 7),
        keys: args.keys,
        usage: scopes.map((scope) => encodeUsageField(scope, model, day)),
        series: encodeSeriesField(hour, model, scopes),
      };
      const [credited] = await run(REFUND, input, { what: 'refund', month: input.month, day: hour.slice(0, 10) });
      return BigInt(str(credited));
    },
    async saveJob(job, expected) {
      await ready();
      const input = { id: job.id, expected: expected ?? '', record: JSON.stringify(jobToJson(job)), retention };
      return Number(await script(SAVE_JOB, input, 'job')) === 1;
    },
    async jobs() {
      const all = pairs(await send(['HGETALL', keys.key('jobs')]));
      return [...all.values()].map(parseJobJson).filter((j) => j !== undefined);
    },
    async job(id) {
      const v = await send(['HGET', keys.key('jobs'), id]);
      return v == null ? undefined : parseJobJson(str(v));
    },
  };
}
