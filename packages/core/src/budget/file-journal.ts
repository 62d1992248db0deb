import { closeSync, fstatSync, ftruncateSync, openSync, readSync, statSync } from 'node:fs';
import { StoreError } from '../errors.js';
import { InvalidLine, JournalReplay } from './file-journal-reader.js';
import { appendLine, writeSnapshot } from './file-journal-writer.js';
import { withFileLock } from './file-lock.js';
import type { BudgetState } from './state.js';
import { StoreClock } from './store-clock.js';

/**
 * One process's handle on a journal file shared with others: operations run one at a time, each under the
 * lock file and after applying what the others appended, so `state` is the file's books when `run` calls back.
 */
export class JournalFile {
  private fd: number;
  private ino: number;
  private offset = 0;
  private readonly replay = new JournalReplay(new StoreClock());
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly compactAtBytes: number,
  ) {
    this.fd = this.open();
    this.ino = fstatSync(this.fd).ino;
  }

  /** The books, as of the last line applied. */
  get state(): BudgetState {
    return this.replay.state;
  }

  /** Runs `fn` with the lock held and the books up to date with the file. */
  run<T>(fn: () => T): Promise<T> {
    const task = () => {
      if (this.closed) throw new StoreError('Budget file store is closed');
      return withFileLock(`${this.path}.lock`, () => {
        this.catchUp();
        return fn();
      });
    };
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => {});
    return next;
  }

  /**
   * Writes a line (built by `journalLine` before the books changed) that the books already hold. On failure the
   * books are rebuilt from the file by the next operation. `durable`: fsynced before it returns.
   */
  append(line: Buffer, durable: boolean) {
    try {
      this.offset = appendLine(this.fd, this.offset, line, durable);
    } catch (error) {
      this.restart();
      throw error;
    }
    if (durable) this.compactIfGrown();
  }

  /** Compacts once the lines after the snapshot pass `compactAtBytes` (lock held). */
  compactIfGrown() {
    if (this.offset - this.replay.snapshotBytes > this.compactAtBytes) this.compact();
  }

  /** Marks an id this process reserved; `wasReserved` tells whether a reservation line for it would be refused. */
  reserved(id: string) {
    this.replay.reserved(id);
  }

  wasReserved(id: string): boolean {
    return this.replay.wasReserved(id);
  }

  /** Rewrites the file as one snapshot line of the books (lock held). */
  compact() {
    const size = writeSnapshot(this.path, this.replay.state.image());
    this.reopen();
    this.offset = size;
    this.replay.snapshotBytes = size;
  }

  async close() {
    await this.queue;
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private open(): number {
    try {
      return openSync(this.path, 'a+');
    } catch (error) {
      throw new StoreError(`Cannot open budget file ${this.path}`, { cause: error });
    }
  }

  private reopen() {
    closeSync(this.fd);
    this.fd = this.open();
    this.ino = fstatSync(this.fd).ino;
  }

  private restart() {
    this.replay.reset();
    this.offset = 0;
  }

  /** Applies whatever was appended since we last looked (by us or another process). Lock held. */
  private catchUp() {
    const st = statSync(this.path, { throwIfNoEntry: false });
    if (st && st.ino !== this.ino) {
      this.reopen(); // compacted by another process: replay from its snapshot
      this.restart();
    }
    const size = fstatSync(this.fd).size;
    if (size === this.offset) return;
    if (size < this.offset) this.restart();
    const chunk = Buffer.alloc(size - this.offset);
    readSync(this.fd, chunk, 0, chunk.length, this.offset);
    let applied: number;
    try {
      applied = this.replay.applyChunk(chunk, this.offset);
    } catch (error) {
      if (!(error instanceof InvalidLine)) throw error;
      // Never applied, never skipped: a forged or corrupt line must not change the books silently.
      this.offset = error.at;
      const n = this.lineNumber(error.at);
      throw new StoreError(`Budget file ${this.path} line ${n} is invalid: ${error.message}`, { details: { line: n } });
    }
    if (applied < chunk.length) ftruncateSync(this.fd, this.offset + applied); // torn tail: the next append starts clean
    this.offset += applied;
  }

  private lineNumber(at: number): number {
    const before = Buffer.alloc(at);
    readSync(this.fd, before, 0, at, 0);
    let n = 1;
    for (const b of before) if (b === 10) n++;
    return n;
  }
}
