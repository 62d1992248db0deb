import { type JournalEntry, readJournalEntry } from './file-journal-schema.js';
import { jobFromJson } from './job-record.js';
import { BudgetState } from './state.js';
import type { StoreClock } from './store-clock.js';

/**
 * The books as a journal's lines make them: every line is checked by the schema and applied in order. Replay only
 * applies what the writers decided; deciding what is old (expiry, pruning) is left to the live operations, on the
 * store's clock, so a line written by a skewed process cannot make a reader forget anything.
 */
export class JournalReplay {
  state: BudgetState;
  /** Bytes of the snapshot line the file starts with (0 without one): compaction counts growth beyond it. */
  snapshotBytes = 0;
  /** Reservation ids seen since the last snapshot: a line reserving one twice would leak a hold nobody settles. */
  private seen = new Set<string>();

  constructor(private readonly clock: StoreClock) {
    this.state = new BudgetState(clock);
  }

  reset() {
    this.state = new BudgetState(this.clock);
    this.seen = new Set();
    this.snapshotBytes = 0;
  }

  /** Marks an id reserved by this process (the writer side of the reserved-twice check). */
  reserved(id: string) {
    this.seen.add(id);
  }

  /** Whether a line reserving `id` would be refused as reserved twice. */
  wasReserved(id: string): boolean {
    return this.seen.has(id);
  }

  /**
   * Applies the complete lines of `chunk` (text after `offset` bytes of the file). Returns how many bytes were
   * applied: a torn last line (a writer killed mid-line) is left out. Throws `{ at, message }` for an invalid line,
   * which is never applied.
   */
  applyChunk(chunk: Buffer, offset: number): number {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== 10) continue;
      if (i > start) {
        try {
          const entry = readJournalEntry(JSON.parse(chunk.toString('utf8', start, i)));
          this.apply(entry, offset + start === 0);
          if (entry.type === 'snapshot') this.snapshotBytes = i + 1;
        } catch (error) {
          throw new InvalidLine(offset + start, (error as Error).message);
        }
      }
      start = i + 1;
    }
    return start;
  }

  private apply(e: JournalEntry, first: boolean) {
    const state = this.state;
    switch (e.type) {
      case 'reserve':
        if (this.seen.has(e.id)) throw new Error(`reservation ${e.id} is reserved twice`);
        this.seen.add(e.id);
        state.hold(e.id, e.micros, e.counters, e.expiresAt);
        break;
      case 'commit': {
        const effect = state.commit({
          id: e.id,
          actual: BigInt(e.micros),
          keys: e.counters,
          usage: e.usage,
          requestId: e.requestId,
          ambiguous: e.ambiguous,
          paymentTx: e.paymentTx,
          // A commit of an id this reader no longer holds (its retention ran out here first) was applied by its
          // writer, so it is applied here too; only a second settlement of a known id is refused.
          replay: true,
          now: e.at,
        });
        if (effect !== 'applied' && !e.replay) throw new Error(`reservation ${e.id} is settled twice`);
        break;
      }
      case 'release':
        state.release(e.id);
        break;
      case 'renew': {
        const hold = state.reservations.get(e.id);
        if (hold) hold.expiresAt = e.expiresAt;
        break;
      }
      case 'topup-claim':
        state.applyClaim(e.owner, e.day, e.micros, e.at, e.until);
        break;
      case 'topup-finish':
        state.finishTopUp(
          e.owner,
          e.ok,
          e.at,
          e.micros === undefined ? undefined : { micros: BigInt(e.micros), tx: e.tx },
        );
        break;
      case 'pin':
        state.setPinIfAbsent(e.key, e.value);
        break;
      case 'refusal':
        state.views.logRefusal(e.refusal);
        break;
      case 'refund':
        state.refund({ requestId: e.requestId, micros: BigInt(e.micros), keys: e.counters, usage: e.usage, now: e.at });
        break;
      case 'job':
        state.saveJob(jobFromJson(e.job), e.expected);
        break;
      case 'snapshot':
        if (!first) throw new Error('a snapshot after the first line');
        this.state = BudgetState.fromImage(e.state, this.clock);
        this.seen = new Set(this.state.reservations.keys());
        break;
    }
  }
}

/** A journal line that cannot be applied, at byte `at` of the file. */
export class InvalidLine extends Error {
  constructor(
    readonly at: number,
    message: string,
  ) {
    super(message);
  }
}
