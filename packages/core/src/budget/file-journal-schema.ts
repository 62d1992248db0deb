import type { z } from 'zod/v4';
import { StoreInputError } from '../errors.js';
import { lazy, zod } from '../lazy.js';
import { fromLegacyEntry } from './file-journal-legacy.js';
import { JOB_STATES } from './job-record.js';
import type { StateImage } from './state.js';
import { HOUR_PATTERN, MAX_ID_LENGTH, MAX_STORE_MICROS } from './store-input.js';

function build() {
  const { z } = zod();
  const id = z.string().min(1).max(MAX_ID_LENGTH);
  const micros = z.number().int().min(0).max(Number(MAX_STORE_MICROS));
  /** A sum of many writes (a counter, a usage row): any exact integer. */
  const total = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
  const time = z.number().finite().min(0);
  const counters = z.array(z.string());
  const hour = z.string().regex(HOUR_PATTERN);
  /** A name from a caller, cut to 200 characters before it is written (see refusal-log.ts). */
  const name = z.string().min(1).max(200);
  const refusal = z.object({
    at: time,
    reason: name,
    scope: name.optional(),
    window: name.optional(),
    model: name.optional(),
    route: name.optional(),
    estimateMicros: z
      .string()
      .regex(/^\d{1,18}$/)
      .optional(),
    retryAt: time.optional(),
  });
  const usage = z.object({ scopes: z.array(z.string()), model: z.string(), day: z.string(), hour: hour.optional() });
  const decimal = z.string().regex(/^\d{1,18}$/);
  const jobState = z.enum(JOB_STATES);
  const job = z.object({
    id,
    kind: z.enum(['video', 'audio']),
    model: z.string(),
    quoteMicros: decimal,
    scopes: z.array(z.string()),
    at: time,
    state: jobState,
    downloadUrl: z.string().optional(),
    refundedMicros: decimal.optional(),
    updatedAt: time,
  });

  const image = z.object({
    counters: z.array(z.object({ key: z.string(), spent: total, reserved: total })),
    holds: z.array(z.object({ id, micros, counters, expiresAt: time })),
    usage: z.array(z.object({ scope: z.string(), model: z.string(), day: z.string(), micros: total, calls: total })),
    requests: z.array(z.object({ id: z.string(), micros: total, ambiguous: z.boolean() })),
    pins: z.array(z.object({ key: z.string(), value: z.string() })),
    expired: z.array(z.object({ id, at: time })),
    settled: z.array(z.object({ id, micros, at: time })),
    /** Since 0.2's first release: absent in older snapshots. */
    released: z.array(z.object({ id, at: time })).optional(),
    series: z.array(z.object({ hour, model: z.string(), scopes: z.array(z.string()), micros: total, calls: total })),
    payments: z.array(
      z.object({
        kind: z.enum(['payment', 'topup']),
        at: time,
        micros,
        tx: id.optional(),
        requestId: z.string().optional(),
        model: z.string().optional(),
        scopes: z.array(z.string()).optional(),
      }),
    ),
    refusals: z.array(refusal).optional(),
    refusalTotal: total.optional(),
    refunded: z.array(id).optional(),
    jobs: z.array(job).optional(),
    topUp: z.object({
      count: total,
      lastAt: time,
      perDay: z.array(z.object({ day: z.string(), micros: total })),
      lock: z.object({ owner: id, until: time }).optional(),
    }),
  }) satisfies z.ZodType<StateImage>;

  return z.discriminatedUnion('type', [
    z.object({ type: z.literal('reserve'), id, micros, counters, expiresAt: time, at: time }),
    z.object({
      type: z.literal('commit'),
      id,
      micros,
      counters,
      usage,
      requestId: z.string().optional(),
      ambiguous: z.boolean().optional(),
      paymentTx: id.optional(),
      /** Written from a budget's local journal after an outage: applies to an id the store never saw reserved. */
      replay: z.boolean().optional(),
      at: time,
    }),
    z.object({ type: z.literal('release'), id }),
    z.object({ type: z.literal('renew'), id, expiresAt: time, at: time }),
    z.object({ type: z.literal('topup-claim'), owner: id, day: z.string(), micros, at: time, until: time }),
    z.object({
      type: z.literal('topup-finish'),
      owner: id,
      ok: z.boolean(),
      at: time,
      micros: micros.optional(),
      tx: id.optional(),
    }),
    z.object({ type: z.literal('pin'), key: z.string(), value: z.string() }),
    /** A refunded charge credited back (once per request id). */
    z.object({ type: z.literal('refund'), requestId: id, micros, counters, usage, at: time }),
    /** A job record written when its state was `expected` (null: none yet). */
    z.object({ type: z.literal('job'), job, expected: jobState.nullable() }),
    /** A refused call (not fsynced: it moved no money). */
    z.object({ type: z.literal('refusal'), refusal }),
    /** The whole state: only compaction writes one, as the first line of a fresh file. */
    z.object({ type: z.literal('snapshot'), state: image }),
  ]);
}

const journalSchema = lazy(build);

/** One line of the file store's journal. */
export type JournalEntry = z.infer<ReturnType<typeof build>>;

/**
 * Reads one parsed JSON line as a journal entry: the current format, or a line version 0.1 wrote (op codes,
 * `scope|window` counter keys), migrated. Throws an Error saying what is wrong; nothing is half-read.
 */
export function readJournalEntry(raw: unknown): JournalEntry {
  const candidate = raw && typeof raw === 'object' && 'op' in raw ? fromLegacyEntry(raw) : raw;
  const parsed = journalSchema().safeParse(candidate);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const type = (candidate as { type?: unknown })?.type;
  const what = typeof type === 'string' && type.length <= 20 ? `${type} entry` : 'entry';
  throw new Error(`bad ${what}${issue ? ` (${issue.path.join('.') || 'type'}: ${issue.message})` : ''}`);
}

/**
 * The line an entry is written as, after checking it against the same schema the reader uses: what this
 * returns, every reader accepts. Anything else is a `StoreInputError`, and nothing is written.
 */
export function journalLine(entry: JournalEntry): Buffer {
  const parsed = journalSchema().safeParse(entry);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StoreInputError(entry.type, issue?.path.join('.') || 'entry', issue?.message ?? 'is malformed');
  }
  return Buffer.from(`${JSON.stringify(parsed.data)}\n`);
}
