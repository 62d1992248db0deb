import { usdToMicros } from '../money.js';
import type { VeniceTransaction } from '../venice/schemas.js';

/** Where rows come from: a wallet (`wallet.transactions`), read page by page with offset pagination. */
export interface TransactionSource {
  transactions(page: {
    limit?: number;
    offset?: number;
  }): Promise<{ transactions: VeniceTransaction[]; hasMore: boolean; malformed?: number }>;
}

/** A row that passed validation: a known type with the sign it must have, a real date, an id seen once. */
export interface LedgerRow {
  id: string;
  type: 'CHARGE' | 'REFUND' | 'TOP_UP';
  /** Signed micro-USD, as Venice lists it (CHARGE negative). */
  micros: bigint;
  at: number;
  requestId?: string;
  modelId?: string;
}

export interface TransactionRead {
  rows: LedgerRow[];
  /** Rows refused as malformed: a bad date, an amount of the wrong sign or size, no id. */
  invalid: number;
  /** Rows dated ahead of this clock (beyond `skewMs`): refused, never written. */
  future: number;
  pages: number;
  /** False when a bound (`maxRows`) or a server that repeats itself stopped the read before its end. */
  complete: boolean;
}

export interface ReadOptions {
  /** Rows before this (ms) are out of range: skipped, and two pages in a row holding only such rows end the read. */
  since?: number;
  now: number;
  /** At most this many rows are read. Default 100,000. */
  maxRows?: number;
  /** How far ahead of `now` a row may be dated (clock skew). Default 5 minutes. */
  skewMs?: number;
  pageSize?: number;
}

const MAX_USD = 1e9;
const SIGN: Record<LedgerRow['type'], 1 | -1> = { CHARGE: -1, REFUND: 1, TOP_UP: 1 };
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/**
 * Reads a wallet's transaction list without trusting it: bounded in rows, de-duplicated by row id (offset pages
 * shift when a charge lands between two reads), every row validated on its own, and nothing inferred from order
 * (an old row listed first does not end the read; only two pages in a row of nothing but old rows do).
 */
export async function readTransactions(source: TransactionSource, options: ReadOptions): Promise<TransactionRead> {
  const pageSize = options.pageSize ?? 100;
  const maxRows = options.maxRows ?? 100_000;
  const latest = options.now + (options.skewMs ?? 5 * 60_000);
  const since = options.since ?? Number.NEGATIVE_INFINITY;
  const seen = new Set<string>();
  const read: TransactionRead = { rows: [], invalid: 0, future: 0, pages: 0, complete: false };
  let pagesBefore = 0; // pages in a row with rows before `since` and none in range
  for (let offset = 0; offset < maxRows; ) {
    const limit = Math.min(pageSize, maxRows - offset);
    const page = await source.transactions({ limit, offset });
    read.pages++;
    // Rows the wallet left out as malformed count as read (and invalid), so the offset stays the server's.
    const malformed = Math.min(page.malformed ?? 0, limit);
    read.invalid += malformed;
    let fresh = malformed;
    let inRange = 0;
    let before = 0;
    const rows = page.transactions.slice(0, limit - malformed); // a page longer than asked for is read as far as asked
    for (const tx of rows) {
      if (typeof tx?.id !== 'string' || seen.has(tx.id)) continue;
      seen.add(tx.id);
      fresh++;
      const row = validRow(tx);
      if (!row) read.invalid++;
      else if (row.at > latest) read.future++;
      else if (row.at < since) before++;
      else {
        inRange++;
        read.rows.push(row);
      }
    }
    offset += rows.length + malformed;
    if (!page.hasMore || rows.length + malformed === 0) {
      read.complete = rows.length === page.transactions.length; // not when rows past the limit were left unread
      break;
    }
    if (fresh === 0) break; // the server repeats itself: stop, incomplete
    pagesBefore = before > 0 && inRange === 0 ? pagesBefore + 1 : 0;
    if (pagesBefore === 2) {
      read.complete = true; // two whole pages before the range: the list has gone past it
      break;
    }
  }
  return read;
}

function validRow(tx: VeniceTransaction): LedgerRow | undefined {
  const type = tx.type as LedgerRow['type'];
  if (!Object.hasOwn(SIGN, type) || tx.id.length === 0 || tx.id.length > 200) return undefined;
  if (typeof tx.amount !== 'number' || !Number.isFinite(tx.amount) || Math.abs(tx.amount) > MAX_USD) return undefined;
  if (tx.amount !== 0 && Math.sign(tx.amount) !== SIGN[type]) return undefined;
  const at = typeof tx.createdAt === 'string' && ISO_DATE.test(tx.createdAt) ? Date.parse(tx.createdAt) : Number.NaN;
  if (!Number.isFinite(at)) return undefined;
  // An id or model name that no call of ours could have: the row is not one to match or count.
  const tooLong = (v: unknown) => typeof v === 'string' && (v.length === 0 || v.length > 200);
  if (tooLong(tx.requestId) || tooLong(tx.modelId)) return undefined;
  return {
    id: tx.id,
    type,
    micros: usdToMicros(tx.amount),
    at,
    requestId: tx.requestId ?? undefined,
    modelId: tx.modelId ?? undefined,
  };
}
