/**
 * Attacks of 2026-12-04 on the paid fetch, each against a small node:http server of the test's own: a caller's body
 * that talks the hold down, hostile numbers from a server.
 */
import { BudgetExceededError, createBudget, createEstimator, createWallet } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { generatePrivateKey } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import {
  flacFile,
  m4aFile,
  oggOpusFile,
  oggPage,
  wavFile,
  webmFile,
} from '../../../packages/core/test/helpers/audio-files.js';
import { chatAnswer, type Hostile, json, useHostileServers } from './hostile-server.js';

const hostile = useHostileServers();

const estimator = () =>
  createEstimator({
    baseURL: null,
    defaultEstimateUsd: 0.05,
    models: [
      { id: 'llama-3.3-70b', type: 'text', input: 0.7, output: 2.8, maxCompletionTokens: 100_000 },
      { id: 'flux-2', type: 'image', image: 0.04 },
      { id: 'whisper-large-v3', type: 'asr', perAudioSecond: 0.0001 },
    ],
  });

function veniceFetch(server: Hostile, policy: Parameters<typeof createBudget>[0] = {}) {
  const baseURL = `${server.url}/api/v1`;
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
  const budget = createBudget(policy);
  return { budget, fetch: createX402Fetch({ wallet, budget, baseURL, estimator: estimator() }), baseURL };
}

const post = (body: Record<string, unknown>, path = '') => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'llama-3.3-70b', messages: [{ role: 'user', content: 'hi' }], ...body }),
  path,
});

describe('the hold of a chat call cannot be talked down by a cap the server does not read', () => {
  // llama-3.3-70b at its full 100k-token cap holds $0.28: none of these may go out under a $0.05 budget.
  const talkDowns: [string, string, Record<string, unknown>][] = [
    ['a Responses-only cap on chat', '/chat/completions', { max_output_tokens: 16 }],
    ['a chat-only cap on Responses', '/responses', { max_completion_tokens: 16 }],
    ['a boolean cap (Number(true) is 1)', '/chat/completions', { max_tokens: true }],
    ['an array cap (Number([16]) is 16)', '/chat/completions', { max_tokens: [16] }],
    ['a "1e1" string cap', '/chat/completions', { max_tokens: '1e1' }],
    ['a small cap beside a large one', '/chat/completions', { max_completion_tokens: 16, max_tokens: 100_000 }],
  ];
  for (const [name, route, body] of talkDowns) {
    it(`${name} is held at the model's maximum and refused before any I/O`, async () => {
      // A server that bills what it produced: the model's whole cap.
      const api = await hostile((_req, res) => json(res, 200, chatAnswer(0.28)));
      const { fetch, budget, baseURL } = veniceFetch(api, { limits: { totalUsd: 0.05 } });
      await expect(fetch(`${baseURL}${route}`, post(body))).rejects.toBeInstanceOf(BudgetExceededError);
      expect(api.seen).toHaveLength(0);
      expect((await budget.report()).totalUsd).toBe(0);
    });
  }

  it('a cap the route reads still lowers the hold (the call goes out)', async () => {
    const api = await hostile((_req, res) => json(res, 200, chatAnswer(0.001)));
    const { fetch, baseURL } = veniceFetch(api, { limits: { totalUsd: 0.05 } });
    for (const [route, body] of [
      ['/chat/completions', { max_tokens: 100 }],
      ['/chat/completions', { max_completion_tokens: 100 }],
      ['/responses', { max_output_tokens: 100 }],
    ] as const)
      expect((await fetch(`${baseURL}${route}`, post(body))).status).toBe(200);
    expect(api.seen).toHaveLength(3);
  });
});

describe('the hold of an image call counts every image either count field asks for', () => {
  const image = (body: Record<string, unknown>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'flux-2', prompt: 'a cat', ...body }),
  });
  for (const [route, body] of [
    ['/image/generate', { n: 1, variants: 4 }],
    ['/images/generations', { variants: 1, n: 4 }],
  ] as const) {
    it(`${route} with ${JSON.stringify(body)} holds four images ($0.16) and is refused under $0.10`, async () => {
      const api = await hostile((_req, res) =>
        json(res, 200, { id: 'img-1', images: ['a', 'b', 'c', 'd'], cost: { usd: 0.16 } }),
      );
      const { fetch, budget, baseURL } = veniceFetch(api, { limits: { totalUsd: 0.1 } });
      await expect(fetch(`${baseURL}${route}`, image(body))).rejects.toBeInstanceOf(BudgetExceededError);
      expect(api.seen).toHaveLength(0);
      expect((await budget.report()).totalUsd).toBe(0);
    });
  }

  it('one image is held at one image (the call goes out)', async () => {
    const api = await hostile((_req, res) => json(res, 200, { id: 'img-2', images: ['a'], cost: { usd: 0.04 } }));
    const { fetch, baseURL } = veniceFetch(api, { limits: { totalUsd: 0.1 } });
    expect((await fetch(`${baseURL}/image/generate`, image({ variants: 1 }))).status).toBe(200);
  });
});

const box = (type: string, ...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
};

/** An M4A whose movie header says 1 s while its one audio track (mdhd and stts) holds 1,000 s at 16 kHz. */
function m4aLyingMovieHeader(): Buffer {
  const mvhd = Buffer.alloc(100);
  mvhd.writeUInt32BE(1000, 12);
  mvhd.writeUInt32BE(1000, 16); // 1 s
  const mdhd = Buffer.alloc(24);
  mdhd.writeUInt32BE(16_000, 12);
  mdhd.writeUInt32BE(16_000 * 1000, 16);
  const stts = Buffer.alloc(16);
  stts.writeUInt32BE(1, 4);
  stts.writeUInt32BE(Math.ceil((16_000 * 1000) / 1024), 8); // AAC frames of 1,024 samples
  stts.writeUInt32BE(1024, 12);
  const trak = box('trak', box('mdia', box('mdhd', mdhd), box('minf', box('stbl', box('stts', stts)))));
  const ftyp = m4aFile(1).subarray(0, 20); // the real helper's ftyp box
  return Buffer.concat([ftyp, box('mdat', Buffer.alloc(8000 * 1000)), box('moov', box('mvhd', mvhd), trak)]);
}

describe('the hold of a transcription is read from the samples a decoder plays, not a header field it ignores', () => {
  const upload = (file: Buffer) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(file)], { type: 'audio/wav' }), 'clip.wav');
    form.append('model', 'whisper-large-v3');
    return { method: 'POST', body: form };
  };
  // 1,000 s of 8 kHz 16-bit mono PCM ($0.10 at $0.0001 a second): a decoder plays it from the sample rate and
  // block size, whatever the `fmt ` chunk's average byte rate field claims.
  const honest = wavFile(1000);
  const lying = Buffer.from(honest);
  lying.writeUInt32LE(1_536_000, 28); // "192 kHz stereo 32-bit": 10 s
  const shortData = Buffer.from(honest);
  shortData.writeUInt32LE(16_000, 40); // the data chunk declares 1 s; 1,000 s of samples follow it

  for (const [name, file] of [
    ['an honest WAV', honest],
    ['a WAV whose byte-rate field claims 96x the real rate', lying],
    ['a WAV whose data chunk declares 1 s', shortData],
    // STREAMINFO says 1 s at 8 kHz 16-bit mono; 1,000 s of frames follow (a decoder plays every frame).
    ['a FLAC whose STREAMINFO declares 1 s', Buffer.concat([flacFile(8000, 8000), Buffer.alloc(16_000_000)])],
    // 1,000 s of Opus pages, then a last page whose granule says 1 s (pre-skip 312 + 48,000 samples).
    [
      'an Ogg Opus whose last page granule says 1 s',
      Buffer.concat([oggOpusFile(1000, 6000), oggPage([Buffer.from([3 << 3, 0x55])], 48_312n, 99_999, 4)]),
    ],
    ['an M4A whose movie header says 1 s', m4aLyingMovieHeader()],
    ['a WebM whose Info Duration says 1 s while its last block is at 1,000 s', webmFile(1_000_000, 1000)],
  ] as const) {
    it(`${name} of 1,000 s is held at 1,000 s and refused under $0.05`, async () => {
      const api = await hostile((_req, res) => json(res, 200, { text: 'hi', duration: 1000 }));
      const { fetch, budget, baseURL } = veniceFetch(api, { limits: { totalUsd: 0.05 } });
      await expect(fetch(`${baseURL}/audio/transcriptions`, upload(file))).rejects.toBeInstanceOf(BudgetExceededError);
      expect(api.seen).toHaveLength(0);
      expect((await budget.report()).totalUsd).toBe(0);
    });
  }
});

describe('an operator who means "no timeout"', () => {
  it("timeoutMs of 2^31 ms or more is a long wait, not Node's overflowed 1 ms timer that aborts every call", async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    const api = await hostile(async (req, res) => {
      if (req.url === '/release') {
        release();
        return json(res, 200, {});
      }
      await released; // the paid call is answered only after a second request came in
      json(res, 200, chatAnswer(0.001));
    });
    const baseURL = `${api.url}/api/v1`;
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
    const budget = createBudget({ limits: { totalUsd: 1 } });
    const fetch = createX402Fetch({ wallet, budget, baseURL, estimator: estimator(), timeoutMs: 2 ** 31 });
    const call = fetch(`${baseURL}/chat/completions`, post({ max_tokens: 10 }));
    let ended = false;
    call.then(
      () => (ended = true),
      () => (ended = true),
    );
    while (!ended && !api.seen.some((s) => s.url.endsWith('/chat/completions')))
      await new Promise((r) => setImmediate(r));
    await globalThis.fetch(`${api.url}/release`);
    const res = await call;
    expect(res.status).toBe(200);
    expect((await res.json()).cost.usd).toBe(0.001);
  });
});
