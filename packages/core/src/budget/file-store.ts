import { StoreInputError } from '../errors.js';
import { JournalFile } from './file-journal.js';
import { type JournalEntry, journalLine } from './file-journal-schema.js';
import { jobToJson } from './job-record.js';
import { refusalJson } from './refusal-log.js';
import { type BudgetStore, type CommitArgs, JOB_RETENTION_MS } from './store.js';
import {
  checkCommit,
  checkJobRetention,
  checkRenew,
  checkReserve,
  checkTopUpClaim,
  checkTopUpFinish,
} from './store-input.js';

export interface FileStoreOptions {
  /** Rewrite the journal as a snapshot when it grows past this. Default 8 MiB. */
  compactAtBytes?: number;
  /** How long a settled job record (failed, completed) is kept after it settled. Default `JOB_RETENTION_MS` (7 days). */
  jobRetentionMs?: number;
}

/** A file store: a `BudgetStore` that can also be compacted on demand. */
export interface FileStore extends BudgetStore {
  /** Settles once the journal has been replayed. */
  readonly ready: Promise<void>;
  /** Rewrites the journal as one snapshot line now (it also happens by itself past `compactAtBytes`). */
  compact(): Promise<void>;
}

/** The journal entry of a commit. */
const commitEntry = (a: CommitArgs): JournalEntry => ({
  type: 'commit',
  id: a.id,
  micros: Number(a.actual),
  counters: a.keys,
  usage: a.usage,
  requestId: a.requestId,
  ambiguous: a.ambiguous,
  paymentTx: a.paymentTx,
  replay: a.replay || undefined,
  at: a.now,
});

/**
 * Append-only JSONL journal (entries: `file-journal-schema.ts`), replayed on open. Commits are fsynced before
 * they resolve; a torn last line (a writer killed mid-write) is dropped, never fatal. Several processes on one
 * machine share it safely: every operation takes a lock file and first applies what others appended. Every
 * entry is checked by the schema the reader uses before it is written, so no writer can append a line that
 * bricks the file for the others.
 */
export function fileStore(path: string, options: FileStoreOptions = {}): FileStore {
  const retention = checkJobRetention(options.jobRetentionMs ?? JOB_RETENTION_MS);
  const journal = new JournalFile(path, options.compactAtBytes ?? 8 * 1024 * 1024);
  const op = <T>(fn: () => T) => journal.run(fn);
  const append = (line: Buffer, durable: boolean) => journal.append(line, durable);

  const store: BudgetStore = {
    reserve: async (args) => {
      checkReserve(args);
      const line = journalLine({
        type: 'reserve',
        id: args.id,
        micros: Number(args.amount),
        counters: args.counters.map((c) => c.key),
        expiresAt: args.expiresAt,
        at: args.now,
      });
      return op(() => {
        if (journal.wasReserved(args.id)) throw new StoreInputError('reservation', 'id', 'is already in use');
        const result = journal.state.reserve(args);
        if (!result.ok) return result;
        journal.reserved(args.id);
        append(line, false);
        return result;
      });
    },
    commit: async (args) => {
      checkCommit(args);
      const line = journalLine(commitEntry(args));
      return op(() => {
        const effect = journal.state.commit(args);
        if (effect === 'refused') return { ok: false } as const;
        if (effect === 'applied') append(line, true);
        return { ok: true, counters: journal.state.read(args.keys, args.now) } as const;
      });
    },
    release: (id, now) =>
      op(() => {
        if (!journal.state.release(id, now)) return false;
        append(journalLine({ type: 'release', id }), false);
        return true;
      }),
    renew: async (id, expiresAt, now) => {
      checkRenew(id, expiresAt, now);
      const line = journalLine({ type: 'renew', id, expiresAt, at: now });
      return op(() => {
        if (!journal.state.renew(id, expiresAt, now)) return false;
        append(line, false);
        return true;
      });
    },
    counters: (keys, now) => op(() => journal.state.read(keys, now)),
    usage: () => op(() => journal.state.views.usageRows()),
    requests: () => op(() => journal.state.views.requestRecords()),
    claimTopUp: async (args) => {
      checkTopUpClaim(args);
      const { owner, day, now } = args;
      const line = journalLine({
        type: 'topup-claim',
        owner,
        day,
        micros: Number(args.amount),
        at: now,
        until: now + args.lockTtlMs,
      });
      return op(() => {
        const result = journal.state.claimTopUp(args);
        if (result.status === 'claimed') append(line, true);
        return result;
      });
    },
    finishTopUp: async (owner, ok, now, topUp) => {
      checkTopUpFinish(owner, now, topUp);
      const record = topUp && { micros: Number(topUp.micros), tx: topUp.tx };
      const line = journalLine({ type: 'topup-finish', owner, ok, at: now, ...record });
      return op(() => {
        journal.state.finishTopUp(owner, ok, now, topUp);
        append(line, true);
      });
    },
    series: (fromHour, toHour) => op(() => journal.state.views.seriesRows(fromHour, toHour)),
    holds: (now) => op(() => journal.state.holdRecords(now)),
    payments: (limit) => op(() => journal.state.views.paymentRecords(limit)),
    logRefusal: async (record) => {
      const refusal = refusalJson(record);
      if (!refusal) return;
      const line = journalLine({ type: 'refusal', refusal });
      return op(() => {
        journal.state.views.logRefusal(refusal);
        append(line, false); // not fsynced: a refusal moved no money
        journal.compactIfGrown(); // a budget that only refuses stays small too
      });
    },
    refusals: (limit) => op(() => journal.state.views.refusalLog(limit)),
    ...jobOperations(journal, retention),
    getPin: (key) => op(() => journal.state.pins.get(key)),
    setPinIfAbsent: async (key, value) => {
      if (typeof key !== 'string' || typeof value !== 'string')
        throw new StoreInputError('pin', 'key and value', 'must be strings');
      return op(() => {
        const had = journal.state.pins.has(key);
        const pin = journal.state.setPinIfAbsent(key, value);
        if (!had) append(journalLine({ type: 'pin', key, value: pin }), true);
        return pin;
      });
    },
    close: () => journal.close(),
  };
  // Replay on open (under the lock, so a concurrent writer's torn line is not mistaken for ours).
  const opened = op(() => undefined);
  return Object.assign(store, { ready: opened, compact: () => op(() => journal.compact()) });
}

/** Refund credits and job records (`venice/jobs`): the store's optional job operations. */
function jobOperations(
  journal: JournalFile,
  retentionMs: number,
): Pick<BudgetStore, 'refund' | 'saveJob' | 'jobs' | 'job'> {
  const op = <T>(fn: () => T) => journal.run(fn);
  const append = (line: Buffer, durable: boolean) => journal.append(line, durable);
  return {
    refund: async (args) => {
      const entry = { requestId: args.requestId, counters: args.keys, usage: args.usage, at: args.now };
      return op(() => {
        const credited = journal.state.refund(args);
        if (credited > 0n) append(journalLine({ type: 'refund', micros: Number(credited), ...entry }), true);
        return credited;
      });
    },
    saveJob: async (job, expected) => {
      const line = journalLine({ type: 'job', job: jobToJson(job), expected });
      return op(() => {
        journal.state.forgetSettledJobs(retentionMs);
        if (!journal.state.saveJob(job, expected)) return false;
        append(line, true);
        return true;
      });
    },
    jobs: () =>
      op(() => {
        journal.state.forgetSettledJobs(retentionMs);
        return journal.state.jobRecords();
      }),
    job: (id) => op(() => journal.state.jobRecord(id)),
  };
}
