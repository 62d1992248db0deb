/**
 * The one table of a Redis budget's keys. Every script declares the same keys in the same order, and the Lua
 * table `K` that names them is generated from here, so the two can never disagree.
 *
 * All keys carry the prefix's hash tag, so one budget lives in one Cluster slot.
 */
const FIXED = {
  /** hash: counter key → spent micros */
  spent: 'spent',
  /** hash: counter key → micros held by live reservations */
  reserved: 'reserved',
  /** hash: reservation id → JSON `{"a": micros, "k": [counter keys]}` */
  holds: 'res',
  /** zset: reservation id by expiry (server ms) */
  expiries: 'exp',
  /** hash: reservation id → server ms it expired at (a late commit is still accepted once); two generations */
  gone: 'gone',
  goneOld: 'gone-old',
  /** hash: reservation id → JSON `[micros, ambiguous]` it was committed at, or `released`; two generations */
  settled: 'settled',
  settledOld: 'settled-old',
  /** hash: JSON `[scope, model, day]` → micros / calls */
  usage: 'usage',
  calls: 'calls',
  /** hash: top-up claim state */
  topUp: 'topup',
  /** zset: counter key by when its window's counters may be removed (ms) */
  windows: 'wins',
  /** list: payment log, JSON, newest first */
  payments: 'pay',
  /** list: refusal log, JSON, newest first; and the count of every refusal logged */
  refusals: 'refused',
  refusalTotal: 'refused-total',
  /** hash: format version, generation rotation time */
  meta: 'meta',
  /** zset: month (`2026-11`, or `legacy`) by the server ms its request records were last written */
  requestMonths: 'req-months',
  /** hash: payee pins (trust on first use) */
  pins: 'pins',
  /** hash: request id → micro-USD a refund credited (once per request id) */
  refunded: 'refunded',
  /** hash: queue id → JSON job record (video and music jobs) */
  jobs: 'jobs',
  /** zset: queue id of a settled job record (failed, completed) by the server ms it settled: what retention forgets */
  jobsSettled: 'jobs-settled',
  /** hash: request id → micros, ambiguous, as version 0.1 wrote it (`micros|0`); renamed away by the migration */
  legacyRequests: 'req',
} as const;

/** The per-call keys, declared after the fixed ones: a month's request records and a day's hourly series. */
const DYNAMIC = ['requests', 'series'] as const;

/** `{prefix}:` — the prefix wrapped in a hash tag unless it already has one. */
const keyPrefix = (prefix: string) => `${/\{[^}]+\}/.test(prefix) ? prefix : `{${prefix}}`}:`;

export interface RedisKeys {
  /** One of the fixed keys by name. */
  key(name: keyof typeof FIXED): string;
  requests(month: string): string;
  series(day: string): string;
  /** What a script declares, in the order the Lua table expects (`extra` after them: `KEYS[K.count + 1]` on). */
  declared(opts?: { month?: string; day?: string; extra?: string[] }): string[];
  /** A day's set of settled ids as version 0.1 kept them (read by the migration only). */
  legacySettled(day: string): string;
}

export function redisKeys(prefix: string): RedisKeys {
  const P = keyPrefix(prefix);
  const fixed = Object.values(FIXED).map((suffix) => `${P}${suffix}`);
  const requests = (month: string) => `${P}req:${month}`;
  const series = (day: string) => `${P}series:${day}`;
  return {
    key: (name) => `${P}${FIXED[name]}`,
    requests,
    series,
    declared: ({ month = '-', day = '-', extra = [] } = {}) => [...fixed, requests(month), series(day), ...extra],
    legacySettled: (day) => `${P}settled:${day}`,
  };
}

/** `local K = {spent = KEYS[1], …, count = n}`: the Lua side of the table above. */
const NAMES = [...Object.keys(FIXED), ...DYNAMIC];
export const LUA_KEY_TABLE = `local K = {${NAMES.map((name, i) => `${name} = KEYS[${i + 1}]`).join(', ')}, count = ${NAMES.length}}`;
