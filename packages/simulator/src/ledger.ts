import { randomUUID } from 'node:crypto';

export type LedgerRowType = 'CHARGE' | 'TOP_UP' | 'REFUND';

export interface LedgerRow {
  id: string;
  /** Signed micro-USD. */
  amountMicros: bigint;
  balanceAfterMicros: bigint;
  type: LedgerRowType;
  createdAt: string;
  requestId: string | null;
  modelId: string | null;
}

export interface PaygPayment {
  payer: string;
  /** What was settled (for `upto`, the usage). */
  amountMicros: bigint;
  /** `upto` payments: the maximum the payer authorized. */
  upto?: { maxMicros: bigint };
  route: string;
  nonce: string;
  transaction: string;
  createdAt: string;
}

/** Ledger key of an account: EVM addresses and API-key ids compare case-insensitively, base58 (Solana) exactly. */
export const accountKey = (account: string): string =>
  /^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(account) ? account : account.toLowerCase();

/**
 * The simulator's books: Venice credit per wallet (or API key), its transaction rows, and every
 * pay-per-call payment. Amounts are integer micro-USD.
 */
export class Ledger {
  private readonly balances = new Map<string, bigint>();
  private readonly rows = new Map<string, LedgerRow[]>();
  readonly paygPayments: PaygPayment[] = [];
  constructor(private readonly now: () => number = Date.now) {}

  balance(account: string): bigint {
    return this.balances.get(accountKey(account)) ?? 0n;
  }

  transactions(account: string): LedgerRow[] {
    return [...(this.rows.get(accountKey(account)) ?? [])].reverse();
  }

  private push(
    account: string,
    type: LedgerRowType,
    amountMicros: bigint,
    requestId: string | null,
    modelId: string | null,
  ) {
    const key = accountKey(account);
    const after = this.balance(key) + amountMicros;
    this.balances.set(key, after);
    const row: LedgerRow = {
      id: `ledger_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
      amountMicros,
      balanceAfterMicros: after,
      type,
      createdAt: new Date(this.now()).toISOString(),
      requestId,
      modelId,
    };
    const list = this.rows.get(key) ?? [];
    list.push(row);
    this.rows.set(key, list);
    return row;
  }

  credit(account: string, micros: bigint): LedgerRow {
    return this.push(account, 'TOP_UP', micros, null, null);
  }

  /** Debits up to the balance (charges are clamped at 0). Returns what was actually collected. */
  charge(account: string, micros: bigint, requestId: string, modelId: string): bigint {
    const collected = micros < this.balance(account) ? micros : this.balance(account);
    if (collected > 0n) this.push(account, 'CHARGE', -collected, requestId, modelId);
    return collected;
  }

  refund(account: string, requestId: string): bigint {
    const charged = (this.rows.get(accountKey(account)) ?? [])
      .filter((r) => r.requestId === requestId && r.type === 'CHARGE')
      .reduce((sum, r) => sum - r.amountMicros, 0n);
    if (charged > 0n) this.push(account, 'REFUND', charged, requestId, null);
    return charged;
  }

  /** Net amount charged to an account (charges minus refunds), in micro-USD. */
  totalCharged(account: string): bigint {
    let total = 0n;
    for (const r of this.rows.get(accountKey(account)) ?? []) {
      if (r.type === 'CHARGE') total -= r.amountMicros;
      if (r.type === 'REFUND') total -= r.amountMicros;
    }
    return total;
  }

  chargesByRequest(account: string): Map<string, bigint> {
    const out = new Map<string, bigint>();
    for (const r of this.rows.get(accountKey(account)) ?? []) {
      if (!r.requestId || r.type === 'TOP_UP') continue;
      out.set(r.requestId, (out.get(r.requestId) ?? 0n) - r.amountMicros);
    }
    return out;
  }

  topUps(account: string): LedgerRow[] {
    return this.transactions(account).filter((r) => r.type === 'TOP_UP');
  }
}
