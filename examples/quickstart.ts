/**
 * Offline quickstart: a brand-new wallet pays for inference through x402 on a local chain.
 *
 *   1. start the Venice simulator with a real local chain (anvil + Circle's USDC contract)
 *   2. give a new wallet 20 test USDC
 *   3. call chat + embeddings through the OpenAI SDK with the paid fetch; the first call finds an
 *      empty balance, the budget allows one $10 auto top-up, which settles on-chain
 *   4. print what was spent, per model, against the budget
 *
 * Live Venice instead: VENICE_WALLET_KEY=0x… pnpm demo -- --live
 */
import { createBudget, createWallet } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { startSimulator } from '@venice-x402/simulator';
import OpenAI from 'openai';
import { generatePrivateKey } from 'viem/accounts';

const live = process.argv.includes('--live');
const step = (msg: string) => console.log(`\n▸ ${msg}`);

const sim = live ? undefined : await startSimulator({ chain: 'anvil' });
try {
  const baseURL = sim?.baseURL ?? process.env.VENICE_BASE_URL ?? 'https://api.venice.ai/api/v1';
  const key = live ? process.env.VENICE_WALLET_KEY : generatePrivateKey();
  if (!key) throw new Error('--live needs VENICE_WALLET_KEY');
  const wallet = createWallet({ privateKey: key }, { baseURL });
  step(`wallet ${wallet.address} on ${live ? 'Venice' : `the simulator (${baseURL}, anvil ${sim!.chain!.rpcUrl})`}`);

  if (sim) {
    await sim.fund(wallet.address, 20);
    console.log(
      `  funded with 20 test USDC (on-chain balance ${Number(await sim.usdcBalance(wallet.address)) / 1e6} USDC)`,
    );
  }

  const budget = createBudget({
    limits: { dailyUsd: 1, perRequestUsd: 0.1 },
    scopes: { 'agent:demo': { totalUsd: 0.5 } },
    topUp: { auto: !live, amountUsd: 10, maxCount: 1 },
  });
  budget.on('topup', (t) =>
    console.log(`  topped up $${t.amountUsd} → balance $${t.newBalanceUsd} (tx ${t.transaction})`),
  );
  budget.on('charge', (c) => console.log(`  charged $${c.costUsd.toFixed(6)} for ${c.model} (${c.source})`));

  const openai = new OpenAI({
    baseURL,
    apiKey: 'unused',
    fetch: createX402Fetch({ wallet, budget, scope: 'agent:demo' }),
  });

  step('chat (streaming)');
  const stream = await openai.chat.completions.create({
    model: 'qwen3-4b',
    messages: [{ role: 'user', content: 'Why pay for inference with a wallet?' }],
    max_tokens: 24,
    stream: true,
  });
  process.stdout.write('  ');
  for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
  process.stdout.write('\n');

  step('embeddings');
  const emb = await openai.embeddings.create({
    model: 'text-embedding-bge-m3',
    input: ['wallets pay', 'budgets cap spend'],
  });
  console.log(`  ${emb.data.length} vectors of ${emb.data[0]!.embedding.length} dimensions`);

  await new Promise((r) => setTimeout(r, 50)); // let the stream's settlement land
  step('spend report');
  const report = await budget.report({ by: 'model' });
  for (const row of report.rows)
    console.log(`  ${row.key.padEnd(24)} $${row.spentUsd.toFixed(6)}  (${row.calls} calls)`);
  console.log(`  total                    $${report.totalUsd.toFixed(6)}`);
  const balance = await wallet.balance();
  console.log(`  Venice balance           $${balance.balanceUsd.toFixed(6)}`);
  console.log(`  budget left (agent:demo) $${(await budget.remaining('agent:demo'))?.toFixed(6)}`);
  if (sim) {
    const topUp = sim.ledger.topUps(wallet.address)[0];
    console.log(
      `  on-chain USDC left       ${Number(await sim.usdcBalance(wallet.address)) / 1e6} (top-up row ${topUp?.id})`,
    );
  }
  console.log('\n✔ done');
} finally {
  await sim?.stop();
}
