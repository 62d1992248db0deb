import { BudgetState } from './state.js';
import type { BudgetStore } from './store.js';

/** Single-process store (the default). Fast: no I/O, no locks. */
export function memoryStore(): BudgetStore {
  const s = new BudgetState();
  return {
    reserve: async (args) => s.reserve(args),
    commit: async (args) => (s.commit(args) ? { ok: true, counters: s.read(args.keys, args.now) } : { ok: false }),
    release: async (id) => s.release(id),
    renew: async (id, expiresAt, now) => s.renew(id, expiresAt, now),
    counters: async (keys, now) => s.read(keys, now),
    usage: async () => s.usageRows(),
    requests: async () => s.requestRecords(),
    claimTopUp: async (args) => s.claimTopUp(args),
    finishTopUp: async (owner, ok, now, topUp) => s.finishTopUp(owner, ok, now, topUp),
    getPin: async (key) => s.pins.get(key),
    setPinIfAbsent: async (key, value) => s.setPinIfAbsent(key, value),
    series: async (fromHour, toHour) => s.seriesRows(fromHour, toHour),
    holds: async (now) => s.holdRecords(now),
    payments: async (limit) => s.paymentRecords(limit),
    refund: async (args) => s.refund(args),
    saveJob: async (job, expected) => s.saveJob(job, expected),
    jobs: async () => s.jobRecords(),
    job: async (id) => s.jobRecord(id),
    close: async () => {},
  };
}
