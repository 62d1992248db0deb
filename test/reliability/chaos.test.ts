/**
 * 2,000 paid calls through the paid fetch while the simulator injects 429s, 5xx, connection resets and cut
 * streams: spend stays under the cap, the budget's ledger equals the simulator's charges (cut streams: counted at
 * their hold until reconciled, never less), no hold is left.
 */
import { createBudget, createWallet, reconcile } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { startSimulator } from '@venice-x402/simulator';
import { generatePrivateKey } from 'viem/accounts';
import { expect, it } from 'vitest';

it('2,000 calls under faults: cap holds, ledger = simulator charges, no reservation left', async () => {
  const sim = await startSimulator({
    seed: 7,
    faults: [
      { kind: 'rate_limit', rate: 0.05, retryAfterSeconds: 0 },
      { kind: 'server_error', rate: 0.04, status: 503 },
      { kind: 'reset', rate: 0.03 },
      { kind: 'cut_stream', rate: 0.1, cutAfterChunks: 4, route: '/chat/completions' },
    ],
  });
  try {
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
    sim.credit(wallet.address, 10);
    const CAP = 0.1;
    const budget = createBudget({ limits: { totalUsd: CAP } });
    const paid = createX402Fetch({ wallet, budget, maxRetryDelayMs: 20 });
    const outcomes: Record<string, number> = {};
    const count = (k: string) => (outcomes[k] = (outcomes[k] ?? 0) + 1);
    let next = 0;
    await Promise.all(
      Array.from({ length: 40 }, async () => {
        while (next < 2000) {
          const i = next++;
          const stream = i % 3 === 0;
          const embeddings = i % 7 === 0;
          try {
            const res = await paid(`${sim.baseURL}/${embeddings ? 'embeddings' : 'chat/completions'}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(
                embeddings
                  ? { model: 'text-embedding-bge-m3', input: [`text ${i}`] }
                  : {
                      model: 'llama-3.3-70b',
                      messages: [{ role: 'user', content: `call ${i}` }],
                      max_tokens: 64,
                      stream,
                    },
              ),
            });
            if (!res.ok) {
              count(`http ${res.status}`);
              await res.text();
              continue;
            }
            await res.text().then(
              () => count('ok'),
              () => count('cut'),
            );
          } catch (error) {
            count((error as { code?: string }).code ?? 'other');
          }
        }
      }),
    );
    // Every stream has ended, so every call is settled.
    const report = await budget.report();
    const charged = Number(sim.ledger.totalCharged(wallet.address)) / 1e6;
    expect(outcomes.ok).toBeGreaterThan(500);
    expect(outcomes.BUDGET_EXCEEDED).toBeGreaterThan(0); // the cap was really reached
    expect(outcomes.cut).toBeGreaterThan(0);
    expect(report.totalUsd).toBeLessThanOrEqual(CAP);
    expect(charged).toBeLessThanOrEqual(CAP);
    expect(report.windows.find((w) => w.window === 'total')!.reservedUsd).toBe(0);
    const diff = await reconcile(budget, wallet, { toleranceUsd: 0.000002 });
    expect(diff.missingLocally).toEqual([]);
    expect(diff.missingRemotely).toEqual([]);
    // Cut streams stay counted at their hold until reconciled: never below what Venice charged for them.
    expect(diff.mismatched.length).toBeLessThanOrEqual(outcomes.cut!);
    for (const d of diff.mismatched) {
      expect(d.ambiguous).toBe(true);
      expect(d.ledgerUsd).toBeGreaterThan(d.veniceUsd);
    }
    expect(report.totalUsd).toBeGreaterThanOrEqual(charged - 0.000002);
  } finally {
    await sim.stop();
  }
}, 120_000);
