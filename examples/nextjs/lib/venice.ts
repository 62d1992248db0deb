import { createBudget, createVenice } from '@venice-x402/ai-sdk';

// Module scope: one budget per server process, shared by every request, so its caps hold across them all.
// (Several processes or machines share one through `createBudget(policy, { store: redisStore(…) })`.)
export const budget = createBudget({
  limits: { dailyUsd: 1, perRequestUsd: 0.05 },
  topUp: { auto: true, amountUsd: 5, maxCount: 1 },
});

// Credentials (VENICE_WALLET_KEY or VENICE_API_KEY) and VENICE_BASE_URL are read at the first call, not at build time.
export const venice = createVenice({ budget, scope: 'app:nextjs' });
