/** LangChain createAgent with tools, on ChatVeniceX402: the agent pays for its own steps. */
import { tool } from '@langchain/core/tools';
import { createBudget } from '@venice-x402/core';
import { ChatVeniceX402 } from '@venice-x402/langchain';
import { createAgent } from 'langchain';
import { z } from 'zod';
import { money, setup, step } from '../shared/setup.js';

const env = await setup();
try {
  if (env.sim) env.sim.credit(env.wallet.address, 2);
  const budget = createBudget({ limits: { dailyUsd: 0.25 } });
  const lookup = tool(async ({ city }) => `Population of ${city}: about 545,000.`, {
    name: 'population',
    description: 'Population of a city',
    schema: z.object({ city: z.string() }),
  });
  const model = new ChatVeniceX402({ model: 'llama-3.3-70b', wallet: env.wallet, budget, baseURL: env.baseURL });
  const agent = createAgent({ model, tools: [lookup] });

  step('agent run');
  const result = await agent.invoke({ messages: [{ role: 'user', content: 'How many people live in Lisbon?' }] });
  for (const m of result.messages)
    console.log(
      `  [${m.getType()}] ${String(m.content || JSON.stringify((m as { tool_calls?: unknown }).tool_calls)).slice(0, 100)}`,
    );
  const last = result.messages.at(-1)!;
  console.log(
    `  cost of the final answer: ${money((last.response_metadata as { costUsd?: number } | undefined)?.costUsd)}`,
  );
  step('spend');
  console.log(
    `  ${money((await budget.report()).totalUsd)} over ${(await budget.report()).rows[0]?.calls ?? 0} model calls`,
  );
} finally {
  await env.stop();
}
