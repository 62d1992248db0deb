/** Vercel AI SDK: streamText with a tool over several steps, paid by a wallet, capped by a budget. */
import { createVenice } from '@venice-x402/ai-sdk';
import { createBudget } from '@venice-x402/core';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';
import { money, setup, step } from '../shared/setup.js';

const env = await setup();
try {
  if (env.sim) env.sim.credit(env.wallet.address, 2); // prepaid balance, as after a top-up
  const budget = createBudget({ limits: { dailyUsd: 0.5 }, scopes: { 'agent:weather': { totalUsd: 0.1 } } });
  const venice = createVenice({ wallet: env.wallet, budget, baseURL: env.baseURL, scope: 'agent:weather' });

  step('streamText with a tool (2 steps)');
  const result = streamText({
    model: venice('llama-3.3-70b'),
    prompt: 'What is the weather in Lisbon?',
    tools: {
      weather: tool({
        description: 'Current weather for a city',
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }) => ({ city, forecast: 'sunny, 24°C' }),
      }),
    },
    stopWhen: stepCountIs(3),
  });
  process.stdout.write('  ');
  for await (const delta of result.textStream) process.stdout.write(delta);
  console.log(
    `\n  steps: ${(await result.steps).length}, cost of the last step: ${money(((await result.providerMetadata)?.venice as { costUsd?: number })?.costUsd)}`,
  );

  step('a refusal: the per-request cap is checked before anything is sent');
  const strict = createVenice({
    wallet: env.wallet,
    budget: createBudget({ limits: { perRequestUsd: 0.0001 } }),
    baseURL: env.baseURL,
  });
  await generateText({ model: strict('llama-3.3-70b'), prompt: 'Write an essay', maxOutputTokens: 4000 }).catch((e) =>
    console.log(`  ${e.name}: ${e.message}`),
  );

  const report = await budget.report({ by: 'scope' });
  step('spend by scope');
  for (const row of report.rows) console.log(`  ${row.key.padEnd(16)} ${money(row.spentUsd)} (${row.calls} calls)`);
} finally {
  await env.stop();
}
