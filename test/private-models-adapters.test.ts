/**
 * Private models from the adapters (issue 27 item 3): in the AI SDK and LangChain an `e2ee-*` / `tee-*` model is just
 * a model id; the paid fetch attests, encrypts and decrypts, and what was verified is in the metadata. Billed as
 * plain models: the budget equals the simulator's charges.
 */
import { createVenice } from '@venice-x402/ai-sdk';
import { createBudget, createWallet } from '@venice-x402/core';
import { ChatVeniceX402 } from '@venice-x402/langchain';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import * as ai6 from 'ai6';
import * as ai7 from 'ai7';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.stop());

const usd = (micros: bigint) => Number(micros) / 1e6;

function paying() {
  const wallet = createWallet({ privateKey: generatePrivateKey() }, sim.clientOptions);
  sim.credit(wallet.address, 5);
  const budget = createBudget({ limits: { dailyUsd: 1 } });
  return { wallet, budget };
}

const teeShape = {
  model: 'e2ee-glm-5',
  provider: 'venice-x402-simulator',
  e2ee: true,
  signingAddress: expect.stringMatching(/^0x[0-9a-fA-F]{40}$/),
  nonce: expect.stringMatching(/^[0-9a-f]{64}$/),
  attestedAt: expect.any(String),
};

for (const [name, ai] of [
  ['ai@6', ai6],
  ['ai@7', ai7 as unknown as typeof ai6],
] as const) {
  describe(`AI SDK (${name}): a private model is just a model id`, () => {
    it('generateText and streamText with e2ee-glm-5: decrypted text, tee metadata, budget = simulator charges', async () => {
      const { wallet, budget } = paying();
      const venice = createVenice({ wallet, budget, baseURL: sim.baseURL });
      const generated = await ai.generateText({
        model: venice('e2ee-glm-5'),
        prompt: 'a private question',
        maxOutputTokens: 12,
      });
      expect(generated.text).toMatch(/^Simulated reply to "a private question"/);
      expect(generated.providerMetadata?.venice?.tee).toEqual(teeShape);

      const streamed = ai.streamText({
        model: venice('e2ee-glm-5'),
        prompt: 'another private one',
        maxOutputTokens: 12,
      });
      expect(await streamed.text).toMatch(/^Simulated reply to "another private one"/);
      const meta = (await streamed.providerMetadata)?.venice as Record<string, unknown>;
      expect(meta.tee).toEqual(teeShape);
      expect(meta.costUsd).toBeCloseTo(usd([...sim.ledger.chargesByRequest(wallet.address).values()].at(-1)!), 9);

      expect(sim.ledger.chargesByRequest(wallet.address).size).toBe(2);
      expect((await budget.report()).totalUsd).toBeCloseTo(usd(sim.ledger.totalCharged(wallet.address)), 9);
    });
  });
}

describe('LangChain: a private model is just a model id', () => {
  it('invoke and stream with e2ee-glm-5: decrypted, response_metadata.tee, budget = simulator charges', async () => {
    const { wallet, budget } = paying();
    const model = new ChatVeniceX402({ model: 'e2ee-glm-5', wallet, budget, baseURL: sim.baseURL, maxTokens: 12 });
    const message = await model.invoke('a private question');
    expect(message.content).toMatch(/^Simulated reply to "a private question"/);
    expect(message.response_metadata.tee).toEqual(teeShape);
    let text = '';
    let last: Record<string, unknown> = {};
    for await (const chunk of await model.stream('another private one')) {
      text += chunk.content;
      last = chunk.response_metadata;
    }
    expect(text).toMatch(/^Simulated reply to "another private one"/);
    expect(last.tee).toEqual(teeShape);
    expect((await budget.report()).totalUsd).toBeCloseTo(usd(sim.ledger.totalCharged(wallet.address)), 9);
  });
});
