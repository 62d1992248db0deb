import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { StoreError } from '../errors.js';
import { withFileLock } from './file-lock.js';
import { BudgetState, jobFromJson, jobToJson } from './state.js';
import type { BudgetStore, CommitArgs } from './store.js';

const MAX = 2n ** 62n;

export interface FileStoreOptions {
  /** Rewrite the journal as a snapshot when it grows past this. Default 8 MiB. */
  compactAtBytes?: number;
}

type Entry = Record<string, any>;

/**
 * Append-only JSONL journal, replayed on open. Commits are fsynced before they resolve; a torn last
 * line (a writer killed mid-write) is dropped, never fatal. Several processes on one machine share
 * it safely: every operation takes a lock file and first applies what others appended.
 */
export function fileStore(path: string, options: FileStoreOptions = {}): BudgetStore {
  const compactAt = options.compactAtBytes ?? 8 * 1024 * 1024;
  const lockPath = `${path}.lock`;
  let fd: number;
  try {
    fd = openSync(path, 'a+');
  } catch (error) {
    throw new StoreError(`Cannot open budget file ${path}`, { cause: error });
  }
  let state = new BudgetState();
  /** Reservation ids in this journal: a line reserving one twice would leak a hold nobody settles. */
  let seen = new Set<string>();
  let offset = 0;
  let ino = fstatSync(fd).ino;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  /** Applies one journal line. Throws (naming why) for anything malformed: it is never half-applied. */
  function apply(e: Entry, first: boolean) {
    const why = invalidEntry(e, first);
    if (why) throw new Error(why);
    switch (e.op) {
      case 'r':
        if (seen.has(e.id)) throw new Error(`reservation ${e.id} is reserved twice`);
        seen.add(e.id);
        state.reserve({
          id: e.id,
          amount: BigInt(e.a),
          counters: e.k.map((key: string) => ({ key, limit: MAX })),
          expiresAt: e.e,
          now: e.t,
        });
        break;
      case 'c':
        if (!state.reservations.has(e.id) && !state.expired.has(e.id))
          throw new Error(`reservation ${e.id} is settled twice`);
        state.commit({
          id: e.id,
          actual: BigInt(e.a),
          keys: e.k,
          usage: e.u,
          requestId: e.q,
          ambiguous: e.amb,
          paymentTx: e.tx,
          now: e.t,
        });
        break;
      case 'x':
        state.release(e.id);
        break;
      case 'n':
        state.renew(e.id, e.e, e.t ?? 0);
        break;
      case 'tc':
        state.applyClaim(e.owner, e.day, Number(e.a), e.t, e.until);
        break;
      case 'tf':
        state.finishTopUp(e.owner, e.ok, e.t, e.a === undefined ? undefined : { micros: BigInt(e.a), tx: e.tx });
        break;
      case 'p':
        state.setPinIfAbsent(e.key, e.value);
        break;
      case 'rf':
        state.refund({ requestId: e.q, micros: BigInt(e.a), keys: e.k, usage: e.u, now: e.t });
        break;
      case 'j':
        state.saveJob(jobFromJson(e.job), e.was);
        break;
      case 'snap':
        state = BudgetState.restore(e.state);
        seen = new Set(state.reservations.keys());
        break;
    }
  }

  /** Applies whatever was appended since we last looked (by us or another process). Lock held. */
  function catchUp() {
    const st = statSync(path, { throwIfNoEntry: false });
    if (st && st.ino !== ino) {
      // Compacted by another process: reopen and replay from the snapshot.
      closeSync(fd);
      fd = openSync(path, 'a+');
      ino = fstatSync(fd).ino;
      state = new BudgetState();
      seen = new Set();
      offset = 0;
    }
    const size = fstatSync(fd).size;
    if (size === offset) return;
    if (size < offset) {
      state = new BudgetState();
      seen = new Set();
      offset = 0;
    }
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      if (buf[i] !== 10) continue;
      const line = buf.toString('utf8', start, i);
      if (line) {
        try {
          apply(JSON.parse(line), offset + start === 0);
        } catch (error) {
          // Never applied, never skipped: a forged or corrupt line must not change the books silently.
          const n = lineNumber(offset + start);
          offset += start;
          throw new StoreError(`Budget file ${path} line ${n} is invalid: ${(error as Error).message}`, {
            details: { line: n },
          });
        }
      }
      start = i + 1;
    }
    if (start < buf.length) {
      // Torn tail from a writer that died mid-line: drop it so the next append starts clean.
      ftruncateSync(fd, offset + start);
    }
    offset += start;
  }

  function lineNumber(at: number): number {
    const before = Buffer.alloc(at);
    readSync(fd, before, 0, at, 0);
    let n = 1;
    for (const b of before) if (b === 10) n++;
    return n;
  }

  function append(e: Entry, durable: boolean) {
    const line = Buffer.from(`${JSON.stringify(e)}\n`);
    writeSync(fd, line, 0, line.length, null);
    if (durable) fdatasyncSync(fd);
    offset += line.length;
  }

  function compact() {
    const tmp = `${path}.compact`;
    const out = openSync(tmp, 'w');
    const line = Buffer.from(`${JSON.stringify({ op: 'snap', state: state.snapshot() })}\n`);
    writeSync(out, line);
    fdatasyncSync(out);
    closeSync(out);
    renameSync(tmp, path);
    closeSync(fd);
    fd = openSync(path, 'a+');
    ino = fstatSync(fd).ino;
    offset = line.length;
  }

  function op<T>(fn: () => T): Promise<T> {
    const run = () => {
      if (closed) throw new StoreError('Budget file store is closed');
      return withFileLock(lockPath, () => {
        catchUp();
        return fn();
      });
    };
    const next = queue.then(run, run);
    queue = next.catch(() => {});
    return next;
  }

  const store: BudgetStore = {
    reserve: (args) =>
      op(() => {
        const result = state.reserve(args);
        if (result.ok) seen.add(args.id);
        if (result.ok)
          append(
            {
              op: 'r',
              id: args.id,
              a: String(args.amount),
              k: args.counters.map((c) => c.key),
              e: args.expiresAt,
              t: args.now,
            },
            false,
          );
        return result;
      }),
    commit: (args: CommitArgs) =>
      op(() => {
        if (!state.commit(args)) return { ok: false } as const;
        append(
          {
            op: 'c',
            id: args.id,
            a: String(args.actual),
            k: args.keys,
            u: args.usage,
            q: args.requestId,
            amb: args.ambiguous,
            tx: args.paymentTx,
            t: args.now,
          },
          true,
        );
        if (offset > compactAt) compact();
        return { ok: true, counters: state.read(args.keys, args.now) } as const;
      }),
    release: (id) =>
      op(() => {
        if (!state.release(id)) return false;
        append({ op: 'x', id }, false);
        return true;
      }),
    renew: (id, expiresAt, now) =>
      op(() => {
        if (!state.renew(id, expiresAt, now)) return false;
        append({ op: 'n', id, e: expiresAt, t: now }, false);
        return true;
      }),
    counters: (keys, now) => op(() => state.read(keys, now)),
    usage: () => op(() => state.usageRows()),
    requests: () => op(() => state.requestRecords()),
    claimTopUp: (args) =>
      op(() => {
        const result = state.claimTopUp(args);
        if (result.status === 'claimed') {
          append(
            {
              op: 'tc',
              owner: args.owner,
              day: args.day,
              a: String(args.amount),
              t: args.now,
              until: args.now + args.lockTtlMs,
            },
            true,
          );
        }
        return result;
      }),
    finishTopUp: (owner, ok, now, topUp) =>
      op(() => {
        state.finishTopUp(owner, ok, now, topUp);
        const record = topUp && { a: String(topUp.micros), tx: topUp.tx };
        append({ op: 'tf', owner, ok, t: now, ...record }, true);
      }),
    series: (fromHour, toHour) => op(() => state.seriesRows(fromHour, toHour)),
    holds: (now) => op(() => state.holdRecords(now)),
    payments: (limit) => op(() => state.paymentRecords(limit)),
    refund: (args) =>
      op(() => {
        const credited = state.refund(args);
        if (credited > 0n)
          append({ op: 'rf', q: args.requestId, a: String(credited), k: args.keys, u: args.usage, t: args.now }, true);
        return credited;
      }),
    saveJob: (job, expected) =>
      op(() => {
        if (!state.saveJob(job, expected)) return false;
        append({ op: 'j', job: jobToJson(job), was: expected }, true);
        return true;
      }),
    jobs: () => op(() => state.jobRecords()),
    job: (id) => op(() => state.jobRecord(id)),
    getPin: (key) => op(() => state.pins.get(key)),
    setPinIfAbsent: (key, value) =>
      op(() => {
        const had = state.pins.has(key);
        const pin = state.setPinIfAbsent(key, value);
        if (!had) append({ op: 'p', key, value: pin }, true);
        return pin;
      }),
    async close() {
      await queue;
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
  // Replay on open (under the lock, so a concurrent writer's torn line is not mistaken for ours).
  const opened = op(() => undefined);
  return Object.assign(store, { ready: opened, compact: () => op(compact) });
}

const isId = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 200;
const isMicros = (v: unknown) => typeof v === 'string' && /^\d{1,18}$/.test(v);
const isTime = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isKeys = (v: unknown) => Array.isArray(v) && v.every((k) => typeof k === 'string');
const isRows = (v: unknown) => Array.isArray(v) && v.every(Array.isArray);
const isTx = (v: unknown) => v === undefined || (typeof v === 'string' && v.length > 0 && v.length <= 200);
const isHour = (v: unknown) => v === undefined || (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d$/.test(v));

const isUsage = (u: any) =>
  !!u && isKeys(u.scopes) && typeof u.model === 'string' && typeof u.day === 'string' && isHour(u.hour);
const JOB_STATES = new Set(['queued', 'delivered', 'failed', 'completed']);
const isJob = (j: any) =>
  !!j &&
  isId(j.id) &&
  (j.kind === 'video' || j.kind === 'audio') &&
  typeof j.model === 'string' &&
  isMicros(j.quoteMicros) &&
  isKeys(j.scopes) &&
  isTime(j.at) &&
  JOB_STATES.has(j.state) &&
  (j.downloadUrl === undefined || typeof j.downloadUrl === 'string') &&
  (j.refundedMicros === undefined || isMicros(j.refundedMicros)) &&
  isTime(j.updatedAt);

const isPaymentEntry = (p: any) =>
  p && (p.kind === 'payment' || p.kind === 'topup') && isTime(p.at) && isTime(p.micros) && isTx(p.tx);

/** Why a journal entry cannot be applied, or undefined when it is well formed. */
function invalidEntry(e: Entry, first: boolean): string | undefined {
  if (!e || typeof e !== 'object') return 'not an object';
  switch (e.op) {
    case 'r':
      return isId(e.id) && isMicros(e.a) && isKeys(e.k) && isTime(e.e) && isTime(e.t) ? undefined : 'bad reservation';
    case 'c': {
      return isId(e.id) && isMicros(e.a) && isKeys(e.k) && isUsage(e.u) && isTx(e.tx) && isTime(e.t)
        ? undefined
        : 'bad commit';
    }
    case 'x':
      return isId(e.id) ? undefined : 'bad release';
    case 'n':
      return isId(e.id) && isTime(e.e) ? undefined : 'bad renewal';
    case 'tc':
      return isId(e.owner) && typeof e.day === 'string' && isMicros(e.a) && isTime(e.t) && isTime(e.until)
        ? undefined
        : 'bad top-up claim';
    case 'tf':
      return isId(e.owner) &&
        typeof e.ok === 'boolean' &&
        isTime(e.t) &&
        (e.a === undefined || isMicros(e.a)) &&
        isTx(e.tx)
        ? undefined
        : 'bad top-up finish';
    case 'p':
      return typeof e.key === 'string' && typeof e.value === 'string' ? undefined : 'bad payee pin';
    case 'rf':
      return isId(e.q) && isMicros(e.a) && isKeys(e.k) && isUsage(e.u) && isTime(e.t) ? undefined : 'bad refund';
    case 'j':
      return isJob(e.job) && (e.was === null || JOB_STATES.has(e.was)) ? undefined : 'bad job';
    case 'snap': {
      // Only compaction writes a snapshot, and only as the first line of a fresh file.
      if (!first) return 'a snapshot after the first line';
      const st = e.state;
      const ok =
        st &&
        ['counters', 'reservations', 'usage', 'requests', 'pins'].every((k) => isRows(st[k])) &&
        (st.series === undefined || isRows(st.series)) &&
        (st.payments === undefined || (Array.isArray(st.payments) && st.payments.every(isPaymentEntry))) &&
        (st.refunded === undefined || (Array.isArray(st.refunded) && st.refunded.every(isId))) &&
        (st.jobs === undefined || (Array.isArray(st.jobs) && st.jobs.every(isJob))) &&
        st.topUp &&
        isTime(st.topUp.count) &&
        Array.isArray(st.topUp.perDay) &&
        (st.counters as unknown[][]).every((c) => typeof c[0] === 'string' && isTime(c[1]) && isTime(c[2]));
      return ok ? undefined : 'bad snapshot';
    }
    default:
      return 'unknown operation';
  }
}
