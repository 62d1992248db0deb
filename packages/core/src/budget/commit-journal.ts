import { randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { StoreError } from '../errors.js';
import { alive, withFileLock } from './file-lock.js';
import type { BudgetStore, CommitArgs } from './store.js';

/** Who wrote a journal entry: the journal instance of one process on one machine. */
interface Owner {
  host: string;
  pid: number;
  id: string;
}

/** One journal line: a commit the store could not take, and its owner (absent in lines of version 0.1). */
interface Line {
  owner?: Owner;
  commit: CommitArgs;
}

/** A line as read back, with its text (rewritten as it was unless it changes owner). */
type ReadLine = { line: Line; text: string };

/** Journals open in this process: an entry of this pid whose journal is not here was left by a closed budget. */
const openJournals = new Set<string>();
const LOOK_EVERY_MS = 5_000;
const HOST = hostname();

/**
 * Commits the store could not take (it was down), kept locally until it answers again. A paid answer is never lost
 * to a store outage: the commit waits here and is replayed in order.
 *
 * With a path the journal is a JSONL file, fsynced per entry, that several processes of one machine may share
 * (the fleet example gives every agent the same path). Each entry names its owner; a process replays its own
 * entries and adopts those of owners that are gone (killed, or a closed budget), so nothing is replayed twice or
 * dropped; entries of live owners are kept as they are. A line that is not an entry (edited, corrupt) is a StoreError
 * naming it: nothing is replayed past it, and nothing is dropped. Without a path it lives in memory.
 */
export class CommitJournal {
  private readonly owner: Owner = { host: HOST, pid: process.pid, id: randomUUID() };
  private readonly lockPath: string | undefined;
  /** Memory journal: the entries. File journal: this owner's entries, as of the last look at the file. */
  private pending: CommitArgs[] = [];
  /** Entries of gone owners seen in the file, adopted at the next drain. */
  private orphans = 0;
  private nextLook = 0;
  private draining: Promise<number> | undefined;

  constructor(readonly path?: string) {
    this.lockPath = path && `${path}.lock`;
    openJournals.add(this.owner.id);
    if (path) this.orphans = this.read().filter((r) => this.orphaned(r.line)).length;
  }

  /**
   * Looks at the file (at most every LOOK_EVERY_MS) for entries a process that died left: a process with nothing
   * of its own pending adopts them too, before its next call.
   */
  look(now: number) {
    if (!this.path || now < this.nextLook) return;
    if ((statSync(this.path, { throwIfNoEntry: false })?.size ?? 0) > 0) {
      // A line that is not an entry throws, here and at every call after, until someone fixes the file.
      this.orphans = this.read().filter((r) => this.orphaned(r.line)).length;
    }
    this.nextLook = now + LOOK_EVERY_MS;
  }

  /** Commits this process must write before it may take a new call (its own, and orphans it will adopt). */
  get size() {
    return this.pending.length + this.orphans;
  }

  get durable() {
    return this.path !== undefined;
  }

  async add(commit: CommitArgs): Promise<void> {
    if (!this.path) {
      this.pending.push(commit);
      return;
    }
    const text = `${JSON.stringify(encode({ owner: this.owner, commit }))}\n`;
    await withFileLock(this.lockPath!, () => appendLine(this.path!, text));
    this.pending.push(commit);
  }

  /** Writes pending commits to the store in order. Resolves to how many were written; stops at the first failure. */
  drain(store: BudgetStore): Promise<number> {
    this.draining ??= (this.path ? this.drainFile(store) : this.drainMemory(store)).finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  /** This journal's owner is gone: a process that starts (or drains) later adopts what it left. */
  close() {
    openJournals.delete(this.owner.id);
  }

  private async drainMemory(store: BudgetStore): Promise<number> {
    let written = 0;
    while (this.pending.length > 0) {
      // false = already applied (the store took it before its answer was lost): done all the same.
      await store.commit({ ...this.pending[0]!, replay: true });
      this.pending.shift();
      written++;
    }
    return written;
  }

  private async drainFile(store: BudgetStore): Promise<number> {
    const mine = await withFileLock(this.lockPath!, () => this.adopt());
    const written = new Set<string>();
    try {
      for (const commit of mine) {
        await store.commit({ ...commit, replay: true });
        written.add(commit.id);
      }
    } finally {
      await withFileLock(this.lockPath!, () => this.forget(written));
    }
    return written.size;
  }

  /** Under the lock: takes over the entries of gone owners (rewritten as ours) and answers all of ours, in order. */
  private adopt(): CommitArgs[] {
    const lines = this.read();
    let adopted = 0;
    for (const r of lines) {
      if (!this.orphaned(r.line)) continue;
      r.line.owner = this.owner;
      r.text = JSON.stringify(encode(r.line));
      adopted++;
    }
    if (adopted > 0) this.rewrite(lines);
    this.orphans = 0;
    this.pending = lines.filter((r) => r.line.owner?.id === this.owner.id).map((r) => r.line.commit);
    return this.pending;
  }

  /** Under the lock: removes our written entries, keeping every other line (others may have appended since). */
  private forget(written: Set<string>) {
    const lines = this.read();
    const ours = (r: ReadLine) => r.line.owner?.id === this.owner.id;
    const kept = lines.filter((r) => !(ours(r) && written.has(r.line.commit.id)));
    if (kept.length !== lines.length) this.rewrite(kept);
    this.pending = kept.filter(ours).map((r) => r.line.commit);
  }

  private orphaned(line: Line): boolean {
    const o = line.owner;
    if (!o) return true; // a line of version 0.1: its writer did not say who it was
    if (o.id === this.owner.id || o.host !== HOST) return false; // another machine's process: not ours to judge
    return o.pid === process.pid ? !openJournals.has(o.id) : !alive(o.pid);
  }

  /** Every complete line of the file (a torn last line, from a writer killed mid-write, is left out). */
  private read(): ReadLine[] {
    if (!existsSync(this.path!)) return [];
    let text: string;
    try {
      text = readFileSync(this.path!, 'utf8');
    } catch (error) {
      throw new StoreError(`Cannot read the commit journal ${this.path}`, { cause: error });
    }
    const lines = text.slice(0, text.lastIndexOf('\n') + 1).split('\n');
    const read: ReadLine[] = [];
    lines.forEach((t, i) => {
      if (!t) return;
      const line = decode(t);
      if (!line) throw new StoreError(`Commit journal ${this.path} line ${i + 1} is not a commit: fix or remove it`);
      read.push({ line, text: t });
    });
    return read;
  }

  private rewrite(lines: ReadLine[]) {
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      for (const r of lines) writeSync(fd, `${r.text}\n`);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path!);
  }
}

/**
 * Appends one line and fsyncs it. Under the lock, so a file that does not end in a newline holds a line torn by a
 * writer killed mid-write: that tail is cut first (it was never acknowledged), or it would swallow this line.
 */
function appendLine(path: string, text: string) {
  const fd = openSync(path, 'a+');
  try {
    const content = readFileSync(fd);
    const end = content.lastIndexOf(0x0a) + 1;
    if (end < content.length) ftruncateSync(fd, end);
    writeSync(fd, text);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const encode = (line: Line) => ({
  ...(line.owner && { owner: line.owner }),
  commit: { ...line.commit, actual: String(line.commit.actual) },
});

const isString = (v: unknown): v is string => typeof v === 'string';
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const optional = (v: unknown, test: (v: unknown) => boolean) => v === undefined || test(v);

/** A journal line, or undefined when it is not one this journal wrote (checked field by field, nothing trusted). */
function decode(text: string): Line | undefined {
  let raw: any;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  // Version 0.1 wrote the commit itself, with no owner.
  const c = raw && typeof raw === 'object' && 'commit' in raw ? raw.commit : raw;
  const o = raw?.commit ? raw.owner : undefined;
  const validOwner = o === undefined || (isString(o?.host) && Number.isSafeInteger(o?.pid) && isString(o?.id));
  const u = c?.usage;
  const validCommit =
    c &&
    isString(c.id) &&
    isString(c.actual) &&
    /^\d{1,19}$/.test(c.actual) &&
    isStrings(c.keys) &&
    u &&
    isStrings(u.scopes) &&
    isString(u.model) &&
    isString(u.day) &&
    optional(u.hour, isString) &&
    optional(c.requestId, isString) &&
    optional(c.paymentTx, isString) &&
    optional(c.ambiguous, (v) => typeof v === 'boolean') &&
    Number.isFinite(c.now);
  if (!validOwner || !validCommit) return undefined;
  const commit: CommitArgs = {
    id: c.id,
    actual: BigInt(c.actual),
    keys: c.keys,
    usage: { scopes: u.scopes, model: u.model, day: u.day, ...(u.hour !== undefined && { hour: u.hour }) },
    now: c.now,
    ...(c.requestId !== undefined && { requestId: c.requestId }),
    ...(c.paymentTx !== undefined && { paymentTx: c.paymentTx }),
    ...(c.ambiguous !== undefined && { ambiguous: c.ambiguous }),
  };
  return { ...(o && { owner: { host: o.host, pid: o.pid, id: o.id } }), commit };
}
