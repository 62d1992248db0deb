import { closeSync, fdatasyncSync, ftruncateSync, openSync, renameSync, writeSync } from 'node:fs';
import { StoreError } from '../errors.js';
import { journalLine } from './file-journal-schema.js';
import type { StateImage } from './state.js';

/**
 * Appends one line (from `journalLine`, so checked by the journal schema) at `offset`, the end of the file, lock
 * held. Returns the new end. A write or sync that fails is cut off again, so no torn line is left for the next
 * writer to append behind; the caller then rebuilds its books from the file.
 */
export function appendLine(fd: number, offset: number, line: Buffer, durable: boolean): number {
  try {
    let written = 0;
    while (written < line.length) written += writeSync(fd, line, written, line.length - written, offset + written);
    if (durable) fdatasyncSync(fd);
  } catch (error) {
    try {
      ftruncateSync(fd, offset);
    } catch {}
    throw new StoreError('Cannot write the budget file', { cause: error, retryable: true });
  }
  return offset + line.length;
}

/** Writes `image` as the one line of a fresh file that replaces `path` atomically. Returns the new file's size. */
export function writeSnapshot(path: string, image: StateImage): number {
  const line = journalLine({ type: 'snapshot', state: image });
  const tmp = `${path}.compact`;
  const out = openSync(tmp, 'w');
  try {
    writeSync(out, line);
    fdatasyncSync(out);
  } finally {
    closeSync(out);
  }
  renameSync(tmp, path);
  return line.length;
}
