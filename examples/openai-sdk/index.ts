/** The paid fetch under the OpenAI SDK: chat (streaming), a tool call and embeddings, with an auto top-up. */
import { createBudget } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import OpenAI from 'openai';
import { money, setup, step } from '../shared/setup.js';

const env = await setup({ chain: 'anvil' });
try {
  step(`wallet ${env.wallet.address} on ${env.live ? 'Venice' : 'the simulator (anvil chain)'}`);
  const budget = createBudget({
    limits: { dailyUsd: 1, perRequestUsd: 0.05 },
    topUp: { auto: !env.live, amountUsd: 10, maxCount: 1 },
  });
  budget.on('topup', (t) => console.log(`  auto top-up $${t.amountUsd} settled on-chain (tx ${t.transaction})`));
  const openai = new OpenAI({
    baseURL: env.baseURL,
    apiKey: 'unused',
    fetch: createX402Fetch({ wallet: env.wallet, budget }),
    maxRetries: 0,
  });

  step('chat, streamed');
  const stream = await openai.chat.completions.create({
    model: 'qwen3-4b',
    messages: [{ role: 'user', content: 'Why pay per token?' }],
    max_tokens: 16,
    stream: true,
  });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  console.log(`  ${text}`);

  step('a tool call');
  const call = await openai.chat.completions.create({
    model: 'llama-3.3-70b',
    messages: [{ role: 'user', content: 'What is the price of ETH?' }],
    tools: [
      {
        type: 'function',
        function: {
          name: 'price',
          parameters: { type: 'object', properties: { symbol: { type: 'string' } }, required: ['symbol'] },
        },
      },
    ],
  });
  const toolCall = call.choices[0]?.message.tool_calls?.[0];
  console.log(
    `  model asked for ${toolCall?.type === 'function' ? `${toolCall.function.name}(${toolCall.function.arguments})` : 'nothing'}`,
  );

  step('embeddings');
  const emb = await openai.embeddings.create({ model: 'text-embedding-bge-m3', input: ['wallets pay', 'budgets cap'] });
  console.log(`  ${emb.data.length} vectors`);

  await new Promise((r) => setTimeout(r, 50));
  const report = await budget.report({ by: 'model' });
  step('spend');
  for (const row of report.rows) console.log(`  ${row.key.padEnd(24)} ${money(row.spentUsd)} (${row.calls} calls)`);
  console.log(`  total                    ${money(report.totalUsd)}`);
  console.log(`  Venice balance           ${money((await env.wallet.balance()).balanceUsd)}`);
} finally {
  await env.stop();
}
