import { ProtocolError } from './errors.js';

/**
 * Money is integer micro-USD (USDC has 6 decimals) everywhere in the ledger. These helpers are the
 * only place floats and decimal strings cross into it.
 */
export type Micros = bigint;

export const MICROS_PER_USD = 1_000_000n;

/** USD (a JSON number like 0.0000066 or 12.5) to micro-USD, rounded up so estimates never undercount. */
// Stryker disable next-line StringLiteral: equivalent, anything but 'ceil' rounds to the nearest
export function usdToMicros(usd: number, rounding: 'ceil' | 'round' = 'round'): Micros {
  if (!Number.isFinite(usd)) throw new ProtocolError('Amount is not a finite number', { value: String(usd) });
  const scaled = usd * 1e6;
  // A figure this large is whole micros already; cleaning it would overflow to Infinity (no BigInt of that).
  if (!Number.isFinite(scaled * 1e3)) return BigInt(usd) * MICROS_PER_USD;
  // Guard against binary noise (0.15 * 1e6 = 150000.00000000003) before rounding up.
  const cleaned = Math.round(scaled * 1e3) / 1e3;
  return BigInt(rounding === 'ceil' ? Math.ceil(cleaned) : Math.round(cleaned));
}

export function microsToUsd(micros: Micros): number {
  return Number(micros) / 1e6;
}

/** A decimal string of USDC base units ("5000000") to micros. Rejects anything that is not a plain integer. */
export function parseBaseUnits(value: unknown): Micros {
  // Stryker disable next-line ConditionalExpression: equivalent, `isSafeInteger` is false for anything but a number
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value !== 'string' || !/^\d{1,30}$/.test(value)) {
    throw new ProtocolError('Amount is not a base-unit integer string', { value: String(value).slice(0, 40) });
  }
  return BigInt(value);
}

/** A decimal USD string such as "4.230000" (X-Balance-Remaining) to micros; undefined when absent or malformed. */
export function parseUsdString(value: string | null | undefined): Micros | undefined {
  // Stryker disable next-line ConditionalExpression: equivalent, the pattern below matches neither "null" nor "undefined"
  if (value == null) return undefined;
  const m = /^\s*(\d{1,15})(?:\.(\d{1,18}))?\s*$/.exec(value);
  if (!m) return undefined;
  const frac = (m[2] ?? '').padEnd(6, '0');
  const extra = frac.slice(6);
  let micros = BigInt(m[1]!) * MICROS_PER_USD + BigInt(frac.slice(0, 6));
  if (/[1-9]/.test(extra)) micros += 1n;
  return micros;
}

/**
 * Micro-USD as a decimal string with at least `minDigits` decimals and as many more as the amount needs (up to 6,
 * a micro-dollar): never rounded, so a limit of $0.0005 never reads `$0.00`. `formatUsd(2_000_000n, 2)` is
 * "2.00", `formatUsd(500n, 2)` "0.0005", `formatUsd(500n)` "0.000500" (the fixed 6 digits of the wire headers).
 */
export function formatUsd(micros: Micros, minDigits = 6): string {
  const neg = micros < 0n;
  const abs = neg ? -micros : micros;
  const whole = abs / MICROS_PER_USD;
  const frac = (abs % MICROS_PER_USD)
    .toString()
    .padStart(6, '0')
    .replace(/0+$/, '')
    .padEnd(Math.min(Math.max(0, minDigits), 6), '0');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

/** A USD number for people to read: at least two decimals, more when the amount needs them ($0.0005, $12.50). */
export function formatUsdAmount(usd: number): string {
  return formatUsd(usdToMicros(usd), 2);
}
