import { migrateLegacyCounterKey } from './counter-key.js';

/**
 * Journal lines as version 0.1 wrote them: op codes (`r`, `c`, `x`, `n`, `tc`, `tf`, `p`, `snap`), amounts as
 * decimal strings, snapshot rows as positional arrays and counter keys as `scope|windowId`. Each is rewritten into
 * the current entry shape (the schema then checks it like any other line), so an upgrade keeps the books.
 * Anything that does not fit is passed on as it is, for the schema to refuse.
 */
export function fromLegacyEntry(e: Record<string, any>): unknown {
  switch (e.op) {
    case 'r':
      return { type: 'reserve', id: e.id, micros: micros(e.a), counters: keys(e.k), expiresAt: e.e, at: e.t };
    case 'c':
      return {
        type: 'commit',
        id: e.id,
        micros: micros(e.a),
        counters: keys(e.k),
        usage: e.u,
        requestId: e.q,
        ambiguous: e.amb,
        paymentTx: e.tx,
        at: e.t,
      };
    case 'x':
      return { type: 'release', id: e.id };
    case 'n':
      return { type: 'renew', id: e.id, expiresAt: e.e, at: e.t ?? 0 };
    case 'tc':
      return { type: 'topup-claim', owner: e.owner, day: e.day, micros: micros(e.a), at: e.t, until: e.until };
    case 'tf':
      return {
        type: 'topup-finish',
        owner: e.owner,
        ok: e.ok,
        at: e.t,
        micros: e.a === undefined ? undefined : micros(e.a),
        tx: e.tx,
      };
    case 'p':
      return { type: 'pin', key: e.key, value: e.value };
    case 'snap':
      return { type: 'snapshot', state: legacyImage(e.state) };
    default:
      return { type: `legacy op ${String(e.op).slice(0, 8)}` };
  }
}

/** `"1500"` → 1500; anything but a plain decimal string stays as it is (and the schema refuses it). */
const micros = (v: unknown) => (typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : v);
const key = (k: unknown) => (typeof k === 'string' ? (migrateLegacyCounterKey(k) ?? k) : k);
const keys = (k: unknown) => (Array.isArray(k) ? k.map(key) : k);
/** Positional rows → objects; a row that is not an array stays as it is. */
const rows = (v: unknown, make: (row: any[]) => unknown) =>
  Array.isArray(v) ? v.map((row) => (Array.isArray(row) ? make(row) : row)) : v;

function legacyImage(st: any): unknown {
  if (!st || typeof st !== 'object') return st;
  return {
    counters: rows(st.counters, ([k, spent, reserved]) => ({ key: key(k), spent, reserved })),
    holds: rows(st.reservations, ([id, amount, ks, expiresAt]) => ({
      id,
      micros: amount,
      counters: keys(ks),
      expiresAt,
    })),
    usage: rows(st.usage, ([scope, model, day, m, calls]) => ({ scope, model, day, micros: m, calls })),
    requests: rows(st.requests, ([id, m, ambiguous]) => ({ id, micros: m, ambiguous })),
    pins: rows(st.pins, ([k, value]) => ({ key: k, value })),
    expired: rows(st.expired ?? [], ([id, at]) => ({ id, at })),
    settled: [],
    series: rows(st.series ?? [], ([hour, model, scopes, m, calls]) => ({ hour, model, scopes, micros: m, calls })),
    payments: st.payments ?? [],
    topUp: st.topUp && {
      count: st.topUp.count,
      lastAt: st.topUp.lastAt,
      perDay: rows(st.topUp.perDay, ([day, m]) => ({ day, micros: m })),
      lock: st.topUp.lock ?? undefined,
    },
  };
}
