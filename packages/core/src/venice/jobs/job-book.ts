import type { Budget } from '../../budget/budget-types.js';
import type { JobRecord, JobState } from '../../budget/store.js';

/**
 * Where job records live: the budget's store when it keeps jobs (shared by every process of that store, so a job
 * outlives the process that queued it), else this process's memory. Every write is a compare-and-set on the
 * record's state, so of two processes resuming one job exactly one settles it.
 */
export class JobBook {
  private readonly local = new Map<string, JobRecord>();

  constructor(private readonly budget: Budget | undefined) {}

  /** True when records outlive this process. */
  get durable(): boolean {
    return typeof this.budget?.store.saveJob === 'function';
  }

  async save(job: JobRecord, expected: JobState | null): Promise<boolean> {
    const store = this.budget?.store;
    if (store?.saveJob) return store.saveJob(job, expected);
    if ((this.local.get(job.id)?.state ?? null) !== expected) return false;
    this.local.set(job.id, { ...job });
    return true;
  }

  async all(): Promise<JobRecord[]> {
    const store = this.budget?.store;
    if (store?.saveJob && store.jobs) return store.jobs();
    return [...this.local.values()].map((j) => ({ ...j }));
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const store = this.budget?.store;
    if (store?.saveJob && store.job) return store.job(id);
    return (await this.all()).find((j) => j.id === id);
  }
}
