/**
 * 8 processes × 500 real paid calls (paid fetch → simulator), one wallet each, against one tight cap kept on a Redis
 * Cluster: the cap holds across processes, the budget's ledger is exactly the simulator's charges, no hold is left.
 */
import { expect, it } from 'vitest';
import { runFleet } from './fleet-run.js';

it('8 processes × 500 paid calls on a Redis Cluster: spend ≤ cap, ledger = charges, no reservation left', async () => {
  const CAP_MICROS = 50_000n;
  const run = await runFleet({ processes: 8, calls: 500, capUsd: Number(CAP_MICROS) / 1e6 });
  const outcomes: Record<string, number> = {};
  for (const p of run.processes) for (const [k, n] of Object.entries(p.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + n;
  expect(Object.keys(outcomes).sort()).toEqual(['BUDGET_EXCEEDED', 'ok']); // nothing else went wrong
  expect(outcomes.ok! + outcomes.BUDGET_EXCEEDED!).toBe(4000);
  expect(outcomes.ok).toBeGreaterThan(100); // the cap, not an error, ended the spending
  expect(run.charges.size).toBe(outcomes.ok);
  const charged = [...run.charges.values()].reduce((a, b) => a + b, 0n);
  expect(charged).toBeLessThanOrEqual(CAP_MICROS);
  expect(run.spentMicros).toBe(charged);
  expect(run.ledger).toEqual(run.charges);
  expect(run.reservedMicros).toBe(0n);
}, 90_000);
