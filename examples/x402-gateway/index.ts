/** The Anthropic SDK through an x402 pay-per-call gateway: 402 → validated quote → EIP-3009 → 200. */
import Anthropic from '@anthropic-ai/sdk';
import { createBudget } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { money, setup, step } from '../shared/setup.js';

const env = await setup({ mode: 'payg', chain: 'anvil', fundUsd: 1 });
try {
  const gateway = env.sim ? env.sim.url : (process.env.X402_GATEWAY_URL ?? 'https://api.x402prompt.com');
  const budget = createBudget({
    limits: { dailyUsd: 0.05 },
    // Only this receiver may be paid, at most 1 cent per call.
    signing: { payees: env.sim ? [env.sim.payTo] : [], maxPaymentUsd: 0.01 },
  });
  budget.on('charge', (c) => console.log(`  paid ${money(c.costUsd)} for ${c.model} (tx ${c.paymentTx})`));
  const anthropic = new Anthropic({
    baseURL: gateway,
    apiKey: 'unused',
    fetch: createX402Fetch({ wallet: env.wallet, budget, mode: 'payg', baseURL: gateway }),
    maxRetries: 0,
  });

  step(`message through ${gateway}`);
  const msg = await anthropic.messages.create({
    model: 'claude-haiku-4-5',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'Hello over x402' }],
  });
  console.log(`  ${msg.content[0]?.type === 'text' ? msg.content[0].text : ''}`);

  step('streamed message');
  const stream = anthropic.messages.stream({
    model: 'claude-haiku-4-5',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'Stream it' }],
  });
  stream.on('text', (t) => process.stdout.write(t));
  await stream.finalMessage();
  await new Promise((r) => setTimeout(r, 50));
  console.log('');
  step('spend');
  console.log(
    `  ${money((await budget.report()).totalUsd)} paid per call${env.sim ? `; on-chain USDC left ${Number(await env.sim.usdcBalance(env.wallet.address)) / 1e6}` : ''}`,
  );
} finally {
  await env.stop();
}
