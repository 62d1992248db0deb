/** Child process for the crash test: paid calls against the parent's simulator, with a file-store budget. */
import { createBudget, createWallet, fileStore } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';

const budget = createBudget({ limits: { totalUsd: 100 } }, { store: fileStore(process.env.BUDGET_FILE!) });
// The charge event fires after the commit is fsynced: what we report here is durable.
budget.on('charge', (c) => process.stdout.write(`durable ${c.requestId} ${c.costMicros}\n`));
const wallet = createWallet({ privateKey: process.env.VENICE_WALLET_KEY! }, { baseURL: process.env.VENICE_BASE_URL! });
const paid = createX402Fetch({ wallet, budget });
let i = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    for (;;) {
      const res = await paid(`${process.env.VENICE_BASE_URL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'qwen3-4b',
          messages: [{ role: 'user', content: `crash test ${i++}` }],
          max_tokens: 8,
        }),
      });
      await res.text();
    }
  }),
);
