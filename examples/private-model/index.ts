/**
 * A private-model chat: `e2ee-glm-5` (the model of Venice's own x402 example) through the AI SDK. Before the first
 * prompt the paid fetch checks the model's TEE attestation (our fresh nonce and the signing key's address bound in
 * the TDX quote, debug off); every prompt leaves encrypted to that key, and the answer is decrypted here — JSON and
 * stream alike. Billed and budgeted like any model. Offline, the simulator serves a TEST key and a SYNTHETIC quote.
 */
import { createVenice } from '@venice-x402/ai-sdk';
import { AttestationError, createBudget } from '@venice-x402/core';
import { generateText, streamText } from 'ai';
import { money, setup, step } from '../shared/setup.js';

const env = await setup();
try {
  if (env.sim) env.sim.credit(env.wallet.address, 2); // prepaid balance, as after a top-up
  const budget = createBudget({ limits: { dailyUsd: 0.5 } });
  const venice = createVenice({ wallet: env.wallet, budget, baseURL: env.baseURL });
  const model = venice('e2ee-glm-5'); // a private model is just a model id

  step('generateText with an end-to-end encrypted model');
  const first = await generateText({ model, prompt: 'Is my symptom serious?', maxOutputTokens: 24 });
  const meta = first.providerMetadata?.venice as { costUsd?: number; tee?: Record<string, unknown> };
  console.log(`  ${first.text}`);
  console.log(`  attested: ${JSON.stringify(meta.tee)}`);
  console.log(`  cost ${money(meta.costUsd)}`);

  step('streamText: each chunk decrypted as it arrives (the attestation is reused for 5 minutes)');
  const stream = streamText({ model, prompt: 'And what should I ask my doctor?', maxOutputTokens: 24 });
  process.stdout.write('  ');
  for await (const delta of stream.textStream) process.stdout.write(delta);
  const streamed = (await stream.providerMetadata)?.venice as { costUsd?: number; tee?: { e2ee?: boolean } };
  console.log(`\n  e2ee: ${streamed.tee?.e2ee}, cost ${money(streamed.costUsd)}`);

  if (env.sim) {
    step('a TEE whose quote does not bind our nonce: refused before the prompt is sent');
    env.sim.setFaults([{ kind: 'bad_attestation', route: '/tee/attestation', attestation: 'nonce' }]);
    const fresh = createVenice({ wallet: env.wallet, budget, baseURL: env.baseURL }); // no cached attestation
    await generateText({ model: fresh('tee-qwen3-4b'), prompt: 'secret', maxOutputTokens: 8 }).catch((e) =>
      console.log(`  ${AttestationError.isInstance(e) ? 'AttestationError' : e.name}: ${e.message}`),
    );
  }

  step('spend');
  console.log(`  total ${money((await budget.report()).totalUsd)} over 2 private calls`);
} finally {
  await env.stop();
}
