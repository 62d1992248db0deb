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
import { BudgetState } from './state.js';
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
  let offset = 0;
  let ino = fstatSync(fd).ino;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  function apply(e: Entry) {
    switch (e.op) {
      case 'r':
        state.reserve({
          id: e.id,
          amount: BigInt(e.a),
          counters: e.k.map((key: string) => ({ key, limit: MAX })),
          expiresAt: e.e,
          now: e.t,
        });
        break;
      case 'c':
        state.commit({
          id: e.id,
          actual: BigInt(e.a),
          keys: e.k,
          usage: e.u,
          requestId: e.q,
          ambiguous: e.amb,
          now: e.t,
        });
        break;
      case 'x':
        state.release(e.id);
        break;
      case 'n':
        state.renew(e.id, e.e);
        break;
      case 'tc':
        state.applyClaim(e.owner, e.day, Number(e.a), e.t, e.until);
        break;
      case 'tf':
        state.finishTopUp(e.owner, e.ok, e.t);
        break;
      case 'p':
        state.setPinIfAbsent(e.key, e.value);
        break;
      case 'snap':
        state = BudgetState.restore(e.state);
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
      offset = 0;
    }
    const size = fstatSync(fd).size;
    if (size === offset) return;
    if (size < offset) {
      state = new BudgetState();
      offset = 0;
    }
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      if (buf[i] !== 10) continue;
      const line = buf.toString('utf8', start, i);
      start = i + 1;
      if (!line) continue;
      try {
        apply(JSON.parse(line));
      } catch {
        // A corrupt line loses that one entry, never the store.
      }
    }
    if (start < buf.length) {
      // Torn tail from a writer that died mid-line: drop it so the next append starts clean.
      ftruncateSync(fd, offset + start);
    }
    offset += start;
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
        if (!state.commit(args)) return false;
        append(
          {
            op: 'c',
            id: args.id,
            a: String(args.actual),
            k: args.keys,
            u: args.usage,
            q: args.requestId,
            amb: args.ambiguous,
            t: args.now,
          },
          true,
        );
        if (offset > compactAt) compact();
        return true;
      }),
    release: (id) =>
      op(() => {
        if (!state.release(id)) return false;
        append({ op: 'x', id }, false);
        return true;
      }),
    renew: (id, expiresAt) =>
      op(() => {
        if (!state.renew(id, expiresAt)) return false;
        append({ op: 'n', id, e: expiresAt }, false);
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
    finishTopUp: (owner, ok, now) =>
      op(() => {
        state.finishTopUp(owner, ok, now);
        append({ op: 'tf', owner, ok, t: now }, true);
      }),
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
