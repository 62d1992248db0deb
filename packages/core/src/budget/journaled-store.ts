import { StoreError, StoreInputError } from '../errors.js';
import type { BudgetEmitter } from './budget-events.js';
import type { BudgetTimers } from './budget-timers.js';
import { CommitJournal } from './commit-journal.js';
import type { BudgetStore, CommitArgs, CommitResult, ReserveResult } from './store.js';

const REPLAY_EVERY_MS = 1000;

/**
 * A store that never loses a paid answer to an outage: a commit the store cannot take goes to the local journal
 * (see CommitJournal) and is replayed in order when it answers again; until then new reservations are refused
 * (fail closed). Emits `store-down` once per outage and `store-restored` when the journal is written.
 * A journaled commit answers `ok` with no counters (what is left is unknown until the store answers).
 */
export class JournaledStore implements BudgetStore {
  private readonly journal: CommitJournal;
  private down = false;
  private stopReplay: (() => void) | undefined;
  // Optional views of the store underneath, when it has them.
  readonly series?: BudgetStore['series'];
  readonly holds?: BudgetStore['holds'];
  readonly payments?: BudgetStore['payments'];
  readonly refund?: BudgetStore['refund'];
  readonly saveJob?: BudgetStore['saveJob'];
  readonly jobs?: BudgetStore['jobs'];
  readonly job?: BudgetStore['job'];
  readonly logRefusal?: BudgetStore['logRefusal'];
  readonly refusals?: BudgetStore['refusals'];

  /** Holds whose reserve or release answer was lost: freed when the store answers again (see `lostAnswer`). */
  private readonly unanswered = new Set<string>();

  constructor(
    readonly inner: BudgetStore,
    private readonly options: { journalPath?: string; events: BudgetEmitter; timers: BudgetTimers; now: () => number },
  ) {
    this.journal = new CommitJournal(options.journalPath);
    if (inner.series) this.series = inner.series.bind(inner);
    if (inner.holds) this.holds = inner.holds.bind(inner);
    if (inner.payments) this.payments = inner.payments.bind(inner);
    if (inner.refund) this.refund = inner.refund.bind(inner);
    if (inner.saveJob) this.saveJob = inner.saveJob.bind(inner);
    if (inner.jobs) this.jobs = inner.jobs.bind(inner);
    if (inner.job) this.job = inner.job.bind(inner);
    if (inner.logRefusal) this.logRefusal = inner.logRefusal.bind(inner);
    if (inner.refusals) this.refusals = inner.refusals.bind(inner);
  }

  async reserve(args: Parameters<BudgetStore['reserve']>[0]) {
    this.journal.look(this.options.now());
    if (this.journal.size > 0) await this.replay();
    let result: ReserveResult;
    try {
      result = await this.inner.reserve(args);
    } catch (error) {
      if (refusedInput(error)) throw error;
      this.lostAnswer(args.id);
      this.storeDown(error);
      throw error instanceof StoreError
        ? error
        : new StoreError('The budget store did not answer: no new call is allowed until it does', {
            cause: error,
            retryable: true,
          });
    }
    if (this.unanswered.size > 0) await this.freeUnanswered(args.now);
    return result;
  }

  /**
   * A reservation or release whose answer was lost (a server restarted mid-call) may have been applied: its hold
   * is freed once the store answers again, rather than left to its TTL. Nobody can commit it: the caller got an error.
   */
  private lostAnswer(id: string) {
    if (this.unanswered.size < MAX_UNANSWERED) this.unanswered.add(id);
  }

  private async freeUnanswered(now: number) {
    for (const id of [...this.unanswered]) {
      try {
        await this.inner.release(id, now);
        this.unanswered.delete(id);
      } catch {
        return; // still down: the next answered call tries again
      }
    }
  }

  async commit(args: CommitArgs): Promise<CommitResult> {
    if (this.journal.size > 0) await this.replay().catch(() => {});
    if (this.journal.size > 0) {
      await this.journal.add(args); // in order, behind the commits still waiting
      return { ok: true, counters: new Map() };
    }
    let result: CommitResult;
    try {
      result = await this.inner.commit(args);
    } catch (error) {
      if (refusedInput(error)) throw error; // the store will never take it: journaling it would block every call
      await this.journal.add(args);
      this.storeDown(error);
      return { ok: true, counters: new Map() };
    }
    if (result.ok) this.restored(0);
    return result;
  }

  async release(id: string, now: number) {
    try {
      return await this.inner.release(id, now);
    } catch (error) {
      this.lostAnswer(id);
      this.storeDown(error);
      return true; // freed when the store answers again, else it lapses with its TTL
    }
  }

  renew: BudgetStore['renew'] = (id, expiresAt, now) => this.inner.renew(id, expiresAt, now);
  counters: BudgetStore['counters'] = (keys, now) => this.inner.counters(keys, now);
  usage: BudgetStore['usage'] = () => this.inner.usage();
  requests: BudgetStore['requests'] = () => this.inner.requests();
  claimTopUp: BudgetStore['claimTopUp'] = (args) => this.inner.claimTopUp(args);
  finishTopUp: BudgetStore['finishTopUp'] = (owner, ok, now, topUp) => this.inner.finishTopUp(owner, ok, now, topUp);
  getPin: BudgetStore['getPin'] = (key) => this.inner.getPin(key);
  setPinIfAbsent: BudgetStore['setPinIfAbsent'] = (key, value) => this.inner.setPinIfAbsent(key, value);

  async close() {
    this.stopReplay?.();
    this.journal.close();
    await this.inner.close();
  }

  /** Replays journaled commits; throws (fail closed) while any remain unwritten. */
  private async replay() {
    let replayed: number;
    try {
      replayed = await this.journal.drain(this.inner);
    } catch (error) {
      this.storeDown(error);
      throw new StoreError(
        `The budget store is unavailable and ${this.journal.size} paid call(s) wait in the local journal: no new call is allowed until they are written`,
        { cause: error, retryable: true, details: { pending: this.journal.size } },
      );
    }
    if (this.journal.size === 0) {
      this.stopReplay?.();
      this.stopReplay = undefined;
      this.restored(replayed);
    }
  }

  private storeDown(error: unknown) {
    if (!this.down) {
      this.down = true;
      this.options.events.emit('store-down', {
        error: (error as Error)?.message?.slice(0, 200) ?? 'unknown',
        pending: this.journal.size,
        durable: this.journal.durable,
      });
    }
    if (this.journal.size > 0 && !this.stopReplay) {
      this.stopReplay = this.options.timers.every(REPLAY_EVERY_MS, () => void this.replay().catch(() => {}));
    }
  }

  private restored(replayed: number) {
    if (!this.down) return;
    this.down = false;
    this.options.events.emit('store-restored', { replayed });
  }
}

/** A store's refusal of what it was given (not an outage): retrying or journaling it cannot help. */
const refusedInput = (error: unknown) => error instanceof StoreInputError;

/** At most this many lost answers are remembered; any beyond lapse with their TTL. */
const MAX_UNANSWERED = 1024;
