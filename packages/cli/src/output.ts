/** Human tables, `--json`, a spinner on stderr, and exit codes that scripts can rely on. */
import { formatUsd, usdToMicros } from '@venice-x402/core';

export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  /** Refused by the budget or the signing policy, or payment required. */
  refused: 3,
  auth: 4,
  network: 5,
  aborted: 6,
} as const;

export class UsageError extends Error {}

export function table(rows: Record<string, unknown>[], columns?: string[]): string {
  if (rows.length === 0) return '(none)';
  const cols = columns ?? Object.keys(rows[0]!);
  const cell = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'number' ? String(v) : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    line(cols),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(cols.map((c) => cell(r[c])))),
  ].join('\n');
}

export function print(json: boolean, data: unknown, human: () => string) {
  process.stdout.write(
    `${json ? JSON.stringify(data, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) : human()}\n`,
  );
}

/** A spinner on stderr while `work` runs (TTY only; silent in pipes and with --json). */
export async function spin<T>(label: string, work: Promise<T>, enabled: boolean): Promise<T> {
  if (!enabled || !process.stderr.isTTY) return work;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  const timer = setInterval(() => process.stderr.write(`\r${frames[i++ % frames.length]} ${label}`), 80);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    process.stderr.write(`\r${' '.repeat(label.length + 2)}\r`);
  }
}

/** Dollars with at least `minDigits` decimals and as many more as the amount needs: a $0.0005 limit never reads $0.00. */
export const usd = (n: number | undefined, minDigits = 6) =>
  n === undefined ? '' : Number.isFinite(n) ? `$${formatUsd(usdToMicros(n), minDigits)}` : `$${n}`;
