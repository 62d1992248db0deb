import fc from 'fast-check';
import {
  type Budget,
  type BudgetStore,
  createBudget,
  type Reservation,
  ReservationSettledError,
} from '../../src/index.js';
import { decodeCounterKey, encodeCounterKey, scopeChain, windowId } from '../../src/internal.js';

/**
 * A reference model of the budget: what every store must agree with, command by command. Small on purpose:
 * counters are sums of committed amounts, holds are live until their TTL, a settled hold never counts again.
 */

export const TTL_MS = 600_000;
const HOUR = 3_600_000;

type Window = 'hourly' | 'daily' | 'monthly' | 'total';
type Limits = Partial<Record<Window | 'perRequest', bigint>>;

export const LIMITS: Record<string, Limits> = {
  global: { hourly: 500_000n, daily: 1_000_000n },
  'agent:a': { daily: 300_000n },
  'team:x': { monthly: 800_000n },
  'agent:b': { perRequest: 200_000n, total: 400_000n },
};
export const POLICY = {
  limits: { hourlyUsd: 0.5, dailyUsd: 1 },
  scopes: {
    'agent:a': { dailyUsd: 0.3 },
    'team:x': { monthlyUsd: 0.8 },
    'agent:b': { perRequestUsd: 0.2, totalUsd: 0.4 },
  },
  reservationTtlSeconds: TTL_MS / 1000,
};
const SCOPES = [undefined, 'agent:a', 'team:x/agent:b', 'team:x'] as const;
const AMOUNTS = [0n, 10_000n, 50_000n, 100_000n, 250_000n, 400_000n];
const WINDOWS: Window[] = ['hourly', 'daily', 'monthly', 'total'];

interface Hold {
  amount: bigint;
  keys: string[];
  expiresAt: number;
  state: 'live' | 'settled';
  /** The amount it was committed at (settle-once: the same commit again changes nothing). */
  committed?: bigint;
  /** Released while the store was down: the budget frees it at its next answered call (unless it crashes first). */
  releaseLost?: boolean;
  reservation: Reservation;
}

export class BudgetModel {
  /** The month's last day, late evening: the first moves cross an hour, a day and a month. */
  now = Date.parse('2026-03-31T22:30:00Z');
  readonly spent = new Map<string, bigint>();
  readonly holds: Hold[] = [];
  /** Every acknowledged commit, summed: the ledger must say the same. */
  ledger = 0n;
  storeDown = false;
  /** Counter keys any call touched: where the invariants look. */
  readonly seen = new Set<string>();

  keysFor(scope: string | undefined, t: number): string[] {
    const keys: string[] = [];
    for (const s of scopeChain(scope)) {
      for (const w of WINDOWS) if (LIMITS[s]?.[w] !== undefined) keys.push(encodeCounterKey(s, windowId(w, t)));
    }
    return keys;
  }

  constructor(
    /**
     * False where the store judges time by a clock the test cannot move (Redis TIME): holds outlive any test run,
     * and the model starts at the real time (the store forgets windows that ended by its clock).
     */
    readonly holdsExpireByCallerClock = true,
  ) {
    if (!holdsExpireByCallerClock) this.now = Math.floor(Date.now() / 60_000) * 60_000;
  }

  limitOf(key: string): bigint {
    const window = decodeCounterKey(key)!;
    return LIMITS[window.scope]![window.window]!;
  }

  live(h: Hold): boolean {
    return h.state === 'live' && (!this.holdsExpireByCallerClock || h.expiresAt > this.now);
  }

  /** Live holds on a key at the model's time (a hold past its TTL no longer counts). */
  reserved(key: string): bigint {
    let sum = 0n;
    for (const h of this.holds) if (this.live(h) && h.keys.includes(key)) sum += h.amount;
    return sum;
  }

  /** Whether a reservation of `amount` for `scope` fits now. */
  fits(scope: string | undefined, amount: bigint): boolean {
    for (const s of scopeChain(scope)) {
      const cap = LIMITS[s]?.perRequest;
      if (cap !== undefined && amount > cap) return false;
    }
    return this.keysFor(scope, this.now).every(
      (k) => (this.spent.get(k) ?? 0n) + this.reserved(k) + amount <= this.limitOf(k),
    );
  }
}

export interface RealBudget {
  budget: Budget;
  /** The store as the budget sees it (outages are switched here). */
  flaky: FlakyStore;
  /** The same data without the outage switch, for the invariant reads. */
  raw: BudgetStore;
  clock: TestClock;
  /** A new budget over the same data, as after a crash (`undefined` where a crash loses everything). */
  restart?: () => Promise<void>;
  /** A second process whose clock runs `skewMs` ahead, sharing the data. */
  skewed: (skewMs: number) => Budget;
}

/** A store whose calls fail while `down` (an unreachable server): the outage a budget must survive. */
export class FlakyStore implements BudgetStore {
  down = false;
  /** Its process crashed: nothing it still runs (a replay timer) reaches the store. */
  dead = false;
  constructor(readonly inner: BudgetStore) {}
  /** Runs `op` on the inner store unless the store is unreachable. */
  private async through<T>(op: (inner: BudgetStore) => Promise<T>): Promise<T> {
    if (this.down || this.dead) throw new Error('store unreachable (test outage)');
    return op(this.inner);
  }
  reserve: BudgetStore['reserve'] = (a) => this.through((s) => s.reserve(a));
  commit: BudgetStore['commit'] = (a) => this.through((s) => s.commit(a));
  release: BudgetStore['release'] = (id, now) => this.through((s) => s.release(id, now));
  renew: BudgetStore['renew'] = (id, e, now) => this.through((s) => s.renew(id, e, now));
  counters: BudgetStore['counters'] = (k, now) => this.through((s) => s.counters(k, now));
  usage: BudgetStore['usage'] = () => this.through((s) => s.usage());
  requests: BudgetStore['requests'] = () => this.through((s) => s.requests());
  claimTopUp: BudgetStore['claimTopUp'] = (a) => this.through((s) => s.claimTopUp(a));
  finishTopUp: BudgetStore['finishTopUp'] = (o, ok, n, t) => this.through((s) => s.finishTopUp(o, ok, n, t));
  getPin: BudgetStore['getPin'] = (k) => this.through((s) => s.getPin(k));
  setPinIfAbsent: BudgetStore['setPinIfAbsent'] = (k, v) => this.through((s) => s.setPinIfAbsent(k, v));
  close = () => this.inner.close();
}

type Cmd = fc.AsyncCommand<BudgetModel, RealBudget>;

class Reserve implements Cmd {
  constructor(
    readonly scope: (typeof SCOPES)[number],
    readonly amount: bigint,
  ) {}
  check = () => true;
  async run(m: BudgetModel, r: RealBudget) {
    const expectOk = !m.storeDown && m.fits(this.scope, this.amount);
    let reservation: Reservation | undefined;
    try {
      reservation = await r.budget.reserve({ estimateMicros: this.amount, scope: this.scope });
    } catch (error) {
      if (expectOk) throw new Error(`reserve ${this.amount} for ${this.scope ?? 'global'} was refused: ${error}`);
      return;
    }
    if (!expectOk) throw new Error(`reserve ${this.amount} for ${this.scope ?? 'global'} should have been refused`);
    for (const k of reservation.keys) m.seen.add(k);
    m.holds.push({
      amount: this.amount,
      keys: reservation.keys,
      expiresAt: m.now + TTL_MS,
      state: 'live',
      reservation,
    });
  }
  toString = () => `reserve(${this.scope ?? 'global'}, ${this.amount})`;
}

/** Commits hold `index` (mod the holds made so far) at a fraction of its amount. */
class Commit implements Cmd {
  constructor(
    readonly index: number,
    readonly fraction: number,
  ) {}
  check = (m: Readonly<BudgetModel>) => m.holds.length > 0;
  async run(m: BudgetModel, r: RealBudget) {
    const hold = m.holds[this.index % m.holds.length]!;
    const actual = (hold.amount * BigInt(this.fraction)) / 4n;
    let ok = true;
    try {
      await r.budget.commit(hold.reservation, actual, { requestId: `q-${this.index}-${m.ledger}` });
    } catch (error) {
      if (!(error instanceof ReservationSettledError)) throw error;
      ok = false;
    }
    if (hold.state === 'settled') {
      // Settling twice never counts twice; the same amount again may answer success (a resent commit). While the
      // store is down the budget cannot know yet: the journal finds out on replay.
      if (ok && !m.storeDown && hold.committed !== actual)
        throw new Error('a second commit at another amount was accepted');
      return;
    }
    if (!ok) throw new Error('the first commit of a hold was refused');
    hold.state = 'settled';
    hold.committed = actual;
    m.ledger += actual;
    for (const k of hold.keys) m.spent.set(k, (m.spent.get(k) ?? 0n) + actual);
  }
  toString = () => `commit(#${this.index}, ${this.fraction}/4)`;
}

class Release implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<BudgetModel>) => m.holds.length > 0;
  async run(m: BudgetModel, r: RealBudget) {
    const hold = m.holds[this.index % m.holds.length]!;
    let ok = true;
    try {
      await r.budget.release(hold.reservation);
    } catch (error) {
      if (!(error instanceof ReservationSettledError)) throw error;
      ok = false;
    }
    if (hold.state === 'settled') {
      // A release resent (the same settlement again) may answer success; releasing a committed hold may not.
      if (ok && !m.storeDown && hold.committed !== undefined) throw new Error('a committed hold was released');
      return;
    }
    if (!ok) throw new Error('releasing a live hold was refused');
    if (m.storeDown) hold.releaseLost = true;
    else hold.state = 'settled';
  }
  toString = () => `release(#${this.index})`;
}

class Renew implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<BudgetModel>) => m.holds.length > 0 && !m.storeDown;
  async run(m: BudgetModel, r: RealBudget) {
    const hold = m.holds[this.index % m.holds.length]!;
    await r.budget.renew(hold.reservation);
    if (m.live(hold)) hold.expiresAt = m.now + TTL_MS;
  }
  toString = () => `renew(#${this.index})`;
}

class Advance implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(m: BudgetModel, r: RealBudget) {
    m.now += this.ms;
    r.clock.advance(this.ms);
  }
  toString = () => `advance(${this.ms / 1000}s)`;
}

class StoreDown implements Cmd {
  check = (m: Readonly<BudgetModel>) => !m.storeDown;
  async run(m: BudgetModel, r: RealBudget) {
    m.storeDown = true;
    r.flaky.down = true;
  }
  toString = () => 'store down';
}

class StoreBack implements Cmd {
  check = (m: Readonly<BudgetModel>) => m.storeDown;
  async run(m: BudgetModel, r: RealBudget) {
    m.storeDown = false;
    r.flaky.down = false;
    // The next reservation replays the journal first; a zero hold then frees at once.
    const probe = await r.budget.reserve({ estimateMicros: 0n });
    await r.budget.release(probe);
    // That answered call also freed the holds whose release was lost in the outage.
    for (const h of m.holds) if (h.releaseLost && h.state === 'live') h.state = 'settled';
  }
  toString = () => 'store back';
}

/** The process dies and starts again over the same data: its live holds stay until their TTL. */
class Restart implements Cmd {
  check = () => true;
  async run(m: BudgetModel, r: RealBudget) {
    if (!r.restart) return;
    await r.restart();
    // What the dead process meant to free is forgotten with it: those holds lapse with their TTL.
    for (const h of m.holds) h.releaseLost = false;
  }
  toString = () => 'crash + restart';
}

/** Another process, its clock `skewMs` ahead, makes one small paid call against the same data. */
class SkewedCall implements Cmd {
  constructor(readonly skewMs: number) {}
  check = (m: Readonly<BudgetModel>) => !m.storeDown;
  async run(m: BudgetModel, r: RealBudget) {
    const other = r.skewed(this.skewMs);
    const t = m.now + this.skewMs;
    const keys = m.keysFor('agent:a', t);
    let reservation: Reservation;
    try {
      reservation = await other.reserve({ estimateMicros: 1_000n, scope: 'agent:a' });
    } catch {
      return; // refused: its windows may be full; the invariants judge what it did to ours
    }
    await other.commit(reservation, 1_000n);
    m.ledger += 1_000n;
    for (const k of keys) m.spent.set(k, (m.spent.get(k) ?? 0n) + 1_000n);
  }
  toString = () => `skewed call (+${this.skewMs / HOUR} h)`;
}

export function budgetCommands(options: { restart: boolean; skew: boolean }) {
  const index = fc.nat({ max: 50 });
  return fc.commands(
    [
      fc.tuple(fc.constantFrom(...SCOPES), fc.constantFrom(...AMOUNTS)).map(([s, a]) => new Reserve(s, a)),
      fc.tuple(index, fc.integer({ min: 0, max: 4 })).map(([i, f]) => new Commit(i, f)),
      index.map((i) => new Release(i)),
      index.map((i) => new Renew(i)),
      fc.constantFrom(1_000, 300_000, TTL_MS + 1_000, HOUR, 24 * HOUR, 31 * 24 * HOUR).map((ms) => new Advance(ms)),
      fc.constant(new StoreDown()),
      fc.constant(new StoreBack()),
      ...(options.restart ? [fc.constant(new Restart())] : []),
      ...(options.skew ? [fc.constantFrom(49 * HOUR, TTL_MS * 2).map((ms) => new SkewedCall(ms))] : []),
    ],
    { maxCommands: 40 },
  );
}

/** What must hold after every command: the store's counters are the model's, and none is over its limit. */
export async function checkInvariants(m: BudgetModel, r: RealBudget) {
  if (m.storeDown) return;
  const keys = [...m.seen].filter((k) => currentWindow(k, m.now));
  const state = await r.raw.counters(keys, m.now);
  for (const k of keys) {
    const got = state.get(k)!;
    const spent = m.spent.get(k) ?? 0n;
    const reserved = m.reserved(k);
    if (got.spent !== spent || got.reserved !== reserved)
      throw new Error(
        `counter ${k}: store has spent ${got.spent} reserved ${got.reserved}, model ${spent} / ${reserved}`,
      );
    if (got.reserved < 0n) throw new Error(`counter ${k} holds a negative amount`);
    if (got.spent + got.reserved > m.limitOf(k)) throw new Error(`counter ${k} is over its limit`);
  }
  let ledger = 0n;
  for (const row of await r.raw.usage()) if (row.scope === 'global') ledger += row.micros;
  if (ledger !== m.ledger) throw new Error(`ledger has ${ledger}, acknowledged commits ${m.ledger}`);
}

/** Counters of the windows the model's clock is in (older ones may be pruned by the store, as they should). */
function currentWindow(key: string, now: number): boolean {
  const [, id] = JSON.parse(key) as [string, string];
  return WINDOWS.some((w) => windowId(w, now) === id);
}

/** The time the budget under test reads, and how a command moves it. */
export interface TestClock {
  now(): number;
  advance(ms: number): void;
}

/** A clock only the budget reads (stores with a clock of their own: Redis). */
export function manualClock(start: number): TestClock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** Builds the budget the commands drive, on any store factory. */
export function realBudget(
  open: () => BudgetStore,
  clock: TestClock,
  options: { journalPath?: string; crashable: boolean },
): RealBudget {
  const make = (store: BudgetStore, now: () => number) =>
    createBudget(POLICY, { store, now, journalPath: options.journalPath });
  const flaky = new FlakyStore(open());
  const real: RealBudget = {
    flaky,
    raw: open(),
    clock,
    budget: make(flaky, clock.now),
    skewed: (skewMs) => make(open(), () => clock.now() + skewMs),
  };
  if (options.crashable)
    real.restart = async () => {
      const next = new FlakyStore(open());
      next.down = real.flaky.down;
      real.flaky.dead = true; // nothing the old budget still runs reaches the store
      // The process is gone: in one test process that is a closed budget, whose journal entries (commits made
      // during an outage) another budget sharing the path adopts, as it would a killed process's.
      await real.budget.close().catch(() => {});
      real.flaky = next;
      real.budget = make(next, clock.now);
    };
  return real;
}
