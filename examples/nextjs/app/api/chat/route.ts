import { BudgetExceededError, type VeniceCallMetadata } from '@venice-x402/ai-sdk';
import { convertToModelMessages, stepCountIs, streamText, tool, type UIMessage } from 'ai';
import { z } from 'zod';
import { venice } from '../../../lib/venice';

export async function POST(request: Request) {
  const { messages }: { messages: UIMessage[] } = await request.json();
  let costUsd = 0;
  let budgetRemainingUsd: number | undefined;
  const result = streamText({
    model: venice('llama-3.3-70b'),
    messages: await convertToModelMessages(messages),
    tools: {
      weather: tool({
        description: 'Current weather for a city',
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }) => ({ city, forecast: 'sunny, 24°C' }),
      }),
    },
    stopWhen: stepCountIs(3),
  });
  return result.toUIMessageStreamResponse({
    // Every model step is a paid call: the message's cost is the sum of its steps.
    messageMetadata: ({ part }) => {
      if (part.type === 'finish-step') {
        const venice = part.providerMetadata?.venice as VeniceCallMetadata | undefined;
        costUsd += venice?.costUsd ?? 0;
        budgetRemainingUsd = venice?.budgetRemainingUsd ?? budgetRemainingUsd;
      }
      if (part.type === 'finish') return { costUsd: Math.round(costUsd * 1e6) / 1e6, budgetRemainingUsd };
      return undefined;
    },
    onError: (error) => (error instanceof BudgetExceededError ? error.message : 'The model call failed.'),
  });
}
