/**
 * RAG with paid embeddings — the offline demo (`pnpm demo`).
 *
 * A brand-new wallet holds test USDC on a local chain (anvil + Circle's USDC contract). Indexing the corpus hits
 * an empty Venice balance; the budget allows one bounded auto top-up, settled on-chain through x402. Then the
 * example answers questions with retrieval, re-indexes the corpus for free (content-addressed cache), and prints
 * what everything cost.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
import { createBudget } from '@venice-x402/core';
import { ChatVeniceX402, VeniceX402Embeddings } from '@venice-x402/langchain';
import { money, setup, step } from '../shared/setup.js';

const started = Date.now();
const env = await setup({ chain: 'anvil', fundUsd: 20 });
try {
  step(`wallet ${env.wallet.address}`);
  if (env.sim) {
    console.log(`  simulator ${env.baseURL} · anvil ${env.sim.chain!.rpcUrl} (chain 8453, USDC ${env.sim.usdc})`);
    console.log(
      `  on-chain USDC ${Number(await env.sim.usdcBalance(env.wallet.address)) / 1e6} · Venice balance ${money((await env.wallet.balance()).balanceUsd)}`,
    );
  }

  const budget = createBudget({
    limits: { dailyUsd: 1, perRequestUsd: 0.05 },
    scopes: { 'rag:index': { dailyUsd: 0.2 }, 'rag:answer': { dailyUsd: 0.5 } },
    topUp: { auto: !env.live, amountUsd: 10, maxCount: 1 },
  });
  let topUpTx: string | undefined;
  budget.on('topup', (t) => {
    topUpTx = t.transaction;
    console.log(`  ⇢ balance too low: auto top-up of $${t.amountUsd} settled on-chain, tx ${t.transaction}`);
  });
  let paidCalls = 0;
  budget.on('charge', () => paidCalls++);

  const dir = new URL('./corpus/', import.meta.url);
  const texts: string[] = [];
  const sources: { source: string }[] = [];
  for (const file of readdirSync(dir).sort()) {
    for (const paragraph of readFileSync(new URL(file, dir), 'utf8').split(/\n\s*\n/)) {
      if (paragraph.trim().length < 40) continue;
      texts.push(paragraph.trim());
      sources.push({ source: file });
    }
  }

  const embeddings = new VeniceX402Embeddings({ wallet: env.wallet, budget, baseURL: env.baseURL, scope: 'rag:index' });
  step(`indexing ${texts.length} passages from ${new Set(sources.map((s) => s.source)).size} documents`);
  const store = await MemoryVectorStore.fromTexts(texts, sources, embeddings);
  const indexCost = (await budget.report({ by: 'scope' })).rows.find((r) => r.key === 'rag:index')?.spentUsd ?? 0;
  console.log(`  indexed: ${paidCalls} paid call(s), ${money(indexCost)}`);

  const chat = new ChatVeniceX402({
    model: 'llama-3.3-70b',
    wallet: env.wallet,
    budget,
    baseURL: env.baseURL,
    scope: 'rag:answer',
    maxTokens: 48,
  });
  for (const question of [
    'How does a client pay for an HTTP request with x402?',
    'What stops a hostile server from draining the wallet?',
  ]) {
    step(question);
    const hits = await store.similaritySearch(question, 2);
    const answer = await chat.invoke([
      ['system', `Answer from this context only:\n${hits.map((h) => h.pageContent).join('\n---\n')}`],
      ['human', question],
    ]);
    console.log(`  sources: ${hits.map((h) => h.metadata.source).join(', ')}`);
    console.log(`  answer:  ${String(answer.content).slice(0, 160)}`);
    console.log(`  cost:    ${money(answer.response_metadata.costUsd as number | undefined)}`);
  }

  step('re-indexing the same corpus');
  const before = paidCalls;
  await MemoryVectorStore.fromTexts(texts, sources, embeddings);
  console.log(`  ${paidCalls - before} paid calls: every passage was already paid for (content-addressed cache)`);

  step('spend report');
  const byModel = await budget.report({ by: 'model' });
  for (const row of byModel.rows) console.log(`  ${row.key.padEnd(24)} ${money(row.spentUsd)}  (${row.calls} calls)`);
  console.log(`  ${'total'.padEnd(24)} ${money(byModel.totalUsd)}`);
  console.log(`  ${'Venice balance'.padEnd(24)} ${money((await env.wallet.balance()).balanceUsd)}`);
  console.log(`  ${'top-up tx'.padEnd(24)} ${topUpTx ?? 'none'}`);
  if (env.sim)
    console.log(`  ${'on-chain USDC left'.padEnd(24)} ${Number(await env.sim.usdcBalance(env.wallet.address)) / 1e6}`);
  console.log(`\n✔ done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  await env.stop();
}
