import { refusalJson } from './refusal-log.js';
import { BudgetState } from './state.js';
import { type BudgetStore, JOB_RETENTION_MS } from './store.js';
import {
  checkCommit,
  checkJobRetention,
  checkRenew,
  checkReserve,
  checkTopUpClaim,
  checkTopUpFinish,
} from './store-input.js';

export interface MemoryStoreOptions {
  /** How long a settled job record (failed, completed) is kept after it settled. Default `JOB_RETENTION_MS` (7 days). */
  jobRetentionMs?: number;
}

/** Single-process store (the default). Fast: no I/O, no locks. Bad input is a `StoreInputError` and changes nothing. */
export function memoryStore(options: MemoryStoreOptions = {}): BudgetStore {
  const s = new BudgetState();
  const retention = checkJobRetention(options.jobRetentionMs ?? JOB_RETENTION_MS);
  return {
    reserve: async (args) => {
      checkReserve(args);
      return s.reserve(args);
    },
    commit: async (args) => {
      checkCommit(args);
      return s.commit(args) === 'refused' ? { ok: false } : { ok: true, counters: s.read(args.keys, args.now) };
    },
    release: async (id, now) => s.release(id, now),
    renew: async (id, expiresAt, now) => {
      checkRenew(id, expiresAt, now);
      return s.renew(id, expiresAt, now);
    },
    counters: async (keys, now) => s.read(keys, now),
    usage: async () => s.views.usageRows(),
    requests: async () => s.views.requestRecords(),
    claimTopUp: async (args) => {
      checkTopUpClaim(args);
      return s.claimTopUp(args);
    },
    finishTopUp: async (owner, ok, now, topUp) => {
      checkTopUpFinish(owner, now, topUp);
      s.finishTopUp(owner, ok, now, topUp);
    },
    getPin: async (key) => s.pins.get(key),
    setPinIfAbsent: async (key, value) => s.setPinIfAbsent(key, value),
    series: async (fromHour, toHour) => s.views.seriesRows(fromHour, toHour),
    holds: async (now) => s.holdRecords(now),
    payments: async (limit) => s.views.paymentRecords(limit),
    logRefusal: async (record) => {
      const entry = refusalJson(record);
      if (entry) s.views.logRefusal(entry);
    },
    refusals: async (limit) => s.views.refusalLog(limit),
    refund: async (args) => s.refund(args),
    saveJob: async (job, expected) => {
      s.forgetSettledJobs(retention);
      return s.saveJob(job, expected);
    },
    jobs: async () => {
      s.forgetSettledJobs(retention);
      return s.jobRecords();
    },
    job: async (id) => s.jobRecord(id),
    close: async () => {},
  };
}
