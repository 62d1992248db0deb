import { describe, expect, it } from 'vitest';
import {
  BudgetExceededError,
  createBudget,
  formatUsd,
  MICROS_PER_USD,
  microsToUsd,
  ProtocolError,
  usdToMicros,
} from '../src/index.js';
import { formatUsdAmount, parseBaseUnits, parseUsdString } from '../src/internal.js';

// Every figure the ledger counts crosses into micro-USD here: one micro off per call is an agent overspending.
describe('money enters the ledger exactly', () => {
  it('usdToMicros: rounds to the nearest micro by default, up when asked, and ignores binary noise', () => {
    expect(MICROS_PER_USD).toBe(1_000_000n);
    expect(usdToMicros(12.5)).toBe(12_500_000n);
    expect(usdToMicros(0.0000066)).toBe(7n);
    expect(usdToMicros(0.0000064)).toBe(6n);
    expect(usdToMicros(0.0000064, 'ceil')).toBe(7n);
    expect(usdToMicros(0.0000061, 'ceil')).toBe(7n);
    // 0.15 * 1e6 is 150000.00000000003: noise, not a micro more.
    expect(usdToMicros(0.15, 'ceil')).toBe(150_000n);
    expect(usdToMicros(0.29, 'ceil')).toBe(290_000n);
    // A real fraction of a micro beyond the noise still rounds up.
    expect(usdToMicros(0.0000010011, 'ceil')).toBe(2n);
    expect(usdToMicros(0)).toBe(0n);
  });

  it('usdToMicros: a non-finite amount is a ProtocolError, not a NaN in the books', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const error = (() => {
        try {
          usdToMicros(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).message).toBe('Amount is not a finite number');
      expect((error as ProtocolError).details).toEqual({ value: String(bad) });
    }
  });

  it('microsToUsd: micro-USD back to a USD number', () => {
    expect(microsToUsd(1_500_000n)).toBe(1.5);
    expect(microsToUsd(7n)).toBe(0.000007);
  });

  it('parseBaseUnits: plain non-negative integers only (string or safe number)', () => {
    expect(parseBaseUnits('5000000')).toBe(5_000_000n);
    expect(parseBaseUnits('0')).toBe(0n);
    expect(parseBaseUnits(42)).toBe(42n);
    expect(parseBaseUnits(0)).toBe(0n);
    expect(parseBaseUnits('1'.repeat(30))).toBe(BigInt('1'.repeat(30)));
    for (const bad of [-1, 1.5, 2 ** 53, '1'.repeat(31), '', '-5', '1.5', ' 5', '5 ', '0x10', null, undefined, {}]) {
      expect(() => parseBaseUnits(bad), String(bad)).toThrow(ProtocolError);
    }
    const error = (() => {
      try {
        parseBaseUnits(`9${'x'.repeat(100)}`);
      } catch (e) {
        return e as ProtocolError;
      }
    })();
    expect(error?.message).toBe('Amount is not a base-unit integer string');
    expect(error?.details.value).toBe(`9${'x'.repeat(39)}`);
  });

  it('parseUsdString: a decimal USD string to micros, any sub-micro remainder rounded up', () => {
    expect(parseUsdString('4.230000')).toBe(4_230_000n);
    expect(parseUsdString('4.23')).toBe(4_230_000n);
    expect(parseUsdString('7')).toBe(7_000_000n);
    expect(parseUsdString(' 0.000001 ')).toBe(1n);
    expect(parseUsdString('0.0000001')).toBe(1n);
    expect(parseUsdString('0.0000010000')).toBe(1n);
    expect(parseUsdString('0.000001000000000001')).toBe(2n);
    expect(parseUsdString('1'.repeat(15))).toBe(BigInt('1'.repeat(15)) * 1_000_000n);
    for (const bad of [
      null,
      undefined,
      '',
      '1'.repeat(16),
      `1.${'1'.repeat(19)}`,
      '-1',
      '1.',
      '.5',
      '1e3',
      'x1',
      '1x',
    ]) {
      expect(parseUsdString(bad), String(bad)).toBeUndefined();
    }
  });
});

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
