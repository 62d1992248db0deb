import { BudgetExceededError, createBudget, createWallet } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oggOpusFile } from '../packages/core/test/helpers/audio-files.js';

const ASR = 'nvidia/parakeet-tdt-0.6b-v3'; // $0.0001 per audio second in the simulator

function form(audio: Buffer, name: string) {
  const body = new FormData();
  body.append('model', ASR);
  body.append('file', new Blob([new Uint8Array(audio)], { type: 'audio/ogg' }), name);
  return { method: 'POST', body };
}

describe('transcription is held by the audio length its container states (issue 25 item 8)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.stop());

  function setup(dailyUsd: number) {
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
    sim.credit(wallet.address, 5);
    const budget = createBudget({ limits: { dailyUsd } });
    return { wallet, budget, fetch: createX402Fetch({ wallet, budget }) };
  }

  it('refuses 1,333 s of 750 B/s Opus ($0.133) under a $0.05 cap before sending it', async () => {
    const { wallet, fetch } = setup(0.05);
    const note = oggOpusFile(1333);
    expect(note.length / 1333).toBeLessThan(800); // a normal Opus voice note: ~6 kbit/s
    const before = sim.stats.byRoute['/audio/transcriptions'] ?? 0;
    const error = await fetch(`${sim.baseURL}/audio/transcriptions`, form(note, 'note.ogg')).catch((e) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error.details.estimateUsd).toBeGreaterThanOrEqual(0.1333);
    expect(sim.stats.byRoute['/audio/transcriptions'] ?? 0).toBe(before);
    expect(sim.ledger.totalCharged(wallet.address)).toBe(0n);
  });

  it('lets a short voice note through and commits what the simulator charged', async () => {
    const { wallet, budget, fetch } = setup(0.05);
    const res = await fetch(`${sim.baseURL}/audio/transcriptions`, form(oggOpusFile(95), 'short.ogg'));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.duration).toBe(95); // 1,583 packets of 60 ms: 94.98 s, billed per started second
    expect((await budget.report()).totalUsd).toBeCloseTo(Number(sim.ledger.totalCharged(wallet.address)) / 1e6, 9);
    expect((await budget.report()).totalUsd).toBeCloseTo(0.0095, 9);
  });
});
