/** A Venice-mode server that swaps its top-up receiver after the first top-up: refused before signing, no USDC moves. */
import { createBudget, createWallet } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { startSimulator } from '@venice-x402/simulator';
import { generatePrivateKey } from 'viem/accounts';
import { expect, it } from 'vitest';

it('refuses a top-up to a payee different from the pinned one', async () => {
  const sim = await startSimulator();
  try {
    const base = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
    let typedSignatures = 0;
    const wallet = createWallet(
      {
        account: {
          address: base.address,
          signMessage: (a) => base.signer.signMessage(a),
          signTypedData: (a) => {
            typedSignatures++;
            return base.signer.signTypedData(a);
          },
        },
      },
      { baseURL: sim.baseURL },
    );
    await sim.fund(wallet.address, 50);
    const budget = createBudget({ topUp: { auto: true, amountUsd: 5, minIntervalSeconds: 0 } });
    const paid = createX402Fetch({ wallet, budget });
    const call = () =>
      paid(`${sim.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'x' }], max_tokens: 4 }),
      });
    expect((await call()).status).toBe(200); // first top-up pins the receiver
    expect(typedSignatures).toBe(1);
    sim.ledger.charge(wallet.address, sim.ledger.balance(wallet.address), 'drain', 'test'); // balance back to 0
    sim.setFaults([{ kind: 'hostile_quote', hostile: 'payTo', route: '/x402/top-up' }]);
    const error = await call().catch((e) => e);
    expect(error.code).toBe('QUOTE_REJECTED');
    expect(error.reason).toBe('payee_changed');
    expect(typedSignatures).toBe(1);
    expect(await sim.usdcBalance(wallet.address)).toBe(45_000_000n);
  } finally {
    await sim.stop();
  }
});
