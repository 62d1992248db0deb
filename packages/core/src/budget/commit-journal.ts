import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { StoreError } from '../errors.js';
import type { BudgetStore, CommitArgs } from './store.js';

/**
 * Commits the store could not take (it was down), kept locally until it answers again. A paid answer is
 * never lost to a store outage: the commit waits here and is replayed in order. With a path the journal
 * is a JSONL file, fsynced per entry and replayed on the next start; without one it lives in memory.
 */
export class CommitJournal {
  private pending: CommitArgs[] = [];
  private draining: Promise<number> | undefined;

  constructor(readonly path?: string) {
    if (!path || !existsSync(path)) return;
    const lines = readFileSync(path, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (!line) return;
      try {
        this.pending.push(decode(JSON.parse(line)));
      } catch {
        // A torn last line (killed mid-write) is dropped; anything else is a corrupt journal.
        if (i < lines.length - 1 && lines.slice(i + 1).some(Boolean))
          throw new StoreError(`Commit journal ${path} line ${i + 1} is not a valid commit`);
      }
    });
  }

  get size() {
    return this.pending.length;
  }

  get durable() {
    return this.path !== undefined;
  }

  add(args: CommitArgs) {
    this.pending.push(args);
    if (!this.path) return;
    const fd = openSync(this.path, 'a');
    try {
      writeSync(fd, `${JSON.stringify(encode(args))}\n`);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Writes pending commits to the store in order. Resolves to how many were written; stops at the first failure. */
  drain(store: BudgetStore): Promise<number> {
    this.draining ??= (async () => {
      let written = 0;
      try {
        while (this.pending.length > 0) {
          // false = already applied (the store took it before its answer was lost): done all the same.
          await store.commit({ ...this.pending[0]!, replay: true });
          this.pending.shift();
          written++;
        }
      } finally {
        if (written > 0) this.rewrite();
      }
      return written;
    })().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private rewrite() {
    if (!this.path) return;
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      for (const args of this.pending) writeSync(fd, `${JSON.stringify(encode(args))}\n`);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}

const encode = (a: CommitArgs) => ({ ...a, actual: String(a.actual) });

function decode(e: any): CommitArgs {
  if (!e || typeof e.id !== 'string' || !/^\d+$/.test(String(e.actual)) || !Array.isArray(e.keys) || !e.usage)
    throw new Error('invalid');
  return { ...e, actual: BigInt(e.actual) };
}
