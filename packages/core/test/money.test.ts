import { describe, expect, it } from 'vitest';
import { BudgetExceededError, createBudget, formatUsd } from '../src/index.js';
import { formatUsdAmount } from '../src/internal.js';

describe('money figures show every digit they need', () => {
  it('formatUsd: at least the asked decimals, more for sub-cent amounts, never rounded', () => {
    expect(formatUsd(500n, 2)).toBe('0.0005');
    expect(formatUsd(5_000n, 2)).toBe('0.005');
    expect(formatUsd(197n, 2)).toBe('0.000197');
    expect(formatUsd(2_000_000n, 2)).toBe('2.00');
    expect(formatUsd(2_500_000n, 2)).toBe('2.50');
    expect(formatUsd(1_234_567n, 2)).toBe('1.234567');
    expect(formatUsd(0n, 2)).toBe('0.00');
    expect(formatUsd(-500n, 2)).toBe('-0.0005');
    expect(formatUsd(5_000_000n, 0)).toBe('5');
    expect(formatUsd(5_000_001n, 0)).toBe('5.000001');
    // The default stays the fixed six decimals of the outcome and balance headers.
    expect(formatUsd(4_230_000n)).toBe('4.230000');
    expect(formatUsd(500n)).toBe('0.000500');
  });

  it('formatUsdAmount: a USD number for people', () => {
    expect(formatUsdAmount(0.0005)).toBe('0.0005');
    expect(formatUsdAmount(10)).toBe('10.00');
    expect(formatUsdAmount(0.023)).toBe('0.023');
  });

  it('a refusal under a sub-cent limit names the limit as it is, not $0.00', async () => {
    const budget = createBudget({ limits: { dailyUsd: 0.0005 } });
    await budget.commit(await budget.reserve({ estimateMicros: 197n }), 197n);
    const error = await budget.reserve({ estimateMicros: 23_000n }).catch((e) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error.message).toBe('Budget exceeded: global daily limit $0.0005 (used $0.000197, this call up to $0.023)');
  });

  it('a per-request refusal shows both figures in full', async () => {
    const budget = createBudget({ limits: { perRequestUsd: 0.005 } });
    const error = await budget.reserve({ estimateMicros: 5_500n }).catch((e) => e);
    expect(error.message).toBe('Estimated $0.0055 exceeds the $0.005 per-request limit of global');
  });
});
