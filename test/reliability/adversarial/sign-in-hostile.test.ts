/**
 * The sign-in goes only where it belongs ("Every new surface" items 3–5): a gateway never receives a sign-in Venice
 * would accept, a gateway's challenge never rewrites Venice's sign-in, and a header signed ahead is never handed out
 * once too old for its TTL. Venice is the strict simulator; the gateways are small node:http servers of the test's own.
 */
import { ConfigError, createEstimator, createWallet, type Wallet, type WalletOptions } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { chatAnswer, chatBody, type Hostile, json, startHostile } from './hostile-server.js';

let sim: Simulator;
beforeAll(async () => {
  // Reads the clock through Date.now at each call, so the tests that move the clock move Venice's too.
  sim = await startSimulator({ now: () => Date.now() });
});
afterAll(() => sim.stop());

const servers: Hostile[] = [];
const wallets: Wallet[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(wallets.splice(0).map((w) => w.close()));
});

const HOSTILE_STATEMENT = 'I approve every transfer requested by gateway.example';
const post = () => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: chatBody() });
const signInOf = (headers: Record<string, unknown>) =>
  String(headers['sign-in-with-x'] ?? headers['x-sign-in-with-x'] ?? '');
const messageOf = (header: string) => JSON.parse(Buffer.from(header, 'base64').toString('utf8')).message as string;
const domainOf = (header: string) => messageOf(header).split(' wants you')[0];

/** A Venice wallet (base: the simulator) funded there; VENICE_SIGN_IN_DOMAIN=api.venice.ai as the suite sets it. */
async function veniceWallet(options: WalletOptions = {}) {
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL, ...options });
  wallets.push(wallet);
  sim.credit(wallet.address, 5);
  return wallet;
}

/** A gateway that asks for a sign-in with its own challenge: a 401 whose code makes the client re-sign once. */
async function challengingGateway(challenge: (url: string) => Record<string, unknown>) {
  const gateway = await startHostile((_req, res) =>
    json(res, 401, {
      error: 'Sign-in required',
      code: 'X402_SIGN_IN_EXPIRED',
      siwxChallenge: { info: challenge(gateway.url) },
    }),
  );
  servers.push(gateway);
  return gateway;
}

/** What Venice answers to a header someone else received: replayed as is. */
const replayAtVenice = (header: string) =>
  fetch(`${sim.baseURL}/chat/completions`, { ...post(), headers: { ...post().headers, 'SIGN-IN-WITH-X': header } });

describe('a gateway never receives a sign-in Venice accepts (item 3)', () => {
  it('auto mode with VENICE_SIGN_IN_DOMAIN set: the gateway gets its own host, and Venice refuses a replay', async () => {
    expect(process.env.VENICE_SIGN_IN_DOMAIN).toBe('api.venice.ai');
    const wallet = await veniceWallet();
    const gateway = await challengingGateway((url) => ({
      domain: 'api.venice.ai',
      uri: 'https://api.venice.ai',
      statement: 'Sign in to Venice AI',
      _for: url,
    }));
    const paid = createX402Fetch({ wallet, mode: 'auto', baseURL: gateway.url });
    expect((await paid(`${gateway.url}/v1/chat/completions`, post())).status).toBe(401);
    const received = gateway.seen.map((s) => signInOf(s.headers)).filter(Boolean);
    expect(received.length).toBe(2); // the first sign-in and the one re-sign after its 401
    for (const header of received) {
      expect(domainOf(header)).toBe(new URL(gateway.url).host);
      expect(messageOf(header)).not.toMatch(/venice\.ai wants you/);
      const replay = await replayAtVenice(header);
      expect(replay.status).toBe(401);
      expect((await replay.json()).code).toBe('X402_SIGN_IN_DOMAIN_MISMATCH');
    }
    // The same wallet still signs in to Venice (its base URL) under the configured domain.
    const venice = createX402Fetch({ wallet });
    expect((await venice(`${sim.baseURL}/chat/completions`, post())).status).toBe(200);
  });
});

describe("another origin's challenge never rewrites Venice's sign-in (item 4)", () => {
  for (const [name, domain] of [
    ['its own host', (url: string) => new URL(url).host],
    ["Venice's domain", () => 'api.venice.ai'],
    ["the simulator's host", () => new URL(sim.url).host],
  ] as const) {
    it(`a 401 naming ${name} with a hostile statement: later Venice calls sign as before and succeed`, async () => {
      const wallet = await veniceWallet();
      const seenByVenice: string[] = [];
      const venice = createX402Fetch({
        wallet,
        fetch: (input, init) => {
          seenByVenice.push(new Headers(init?.headers).get('sign-in-with-x') ?? '');
          return fetch(input, init);
        },
      });
      expect((await venice(`${sim.baseURL}/chat/completions`, post())).status).toBe(200);
      const gateway = await challengingGateway((url) => ({
        domain: domain(url),
        uri: `${url}/v1/chat/completions`,
        statement: HOSTILE_STATEMENT,
      }));
      const auto = createX402Fetch({ wallet, mode: 'auto', baseURL: gateway.url });
      await auto(`${gateway.url}/v1/chat/completions`, post()).catch(() => {});
      const received = gateway.seen.map((s) => signInOf(s.headers)).filter(Boolean);
      expect(received).toHaveLength(2);
      for (const header of received) expect(messageOf(header)).not.toContain(HOSTILE_STATEMENT);
      for (let i = 0; i < 3; i++) expect((await venice(`${sim.baseURL}/chat/completions`, post())).status).toBe(200);
      const last = seenByVenice.at(-1)!;
      expect(domainOf(last)).toBe('api.venice.ai');
      expect(messageOf(last)).toContain('\n\nSign in to Venice AI\n\n');
      expect(domainOf(await wallet.signIn())).toBe('api.venice.ai');
    });
  }
});

describe('a header signed ahead is handed out only while it has life left (item 5)', () => {
  /**
   * This thread's clock (and the simulator's) a minute behind the real one, standing still: a header issued on it
   * was signed here, on demand; the signing thread signs ahead on the real clock, so its headers are a minute ahead.
   */
  const useBehindClock = () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(vi.getRealSystemTime() - 60_000);
  };
  const signedAhead = (header: string) =>
    JSON.parse(Buffer.from(header, 'base64').toString()).timestamp > Date.now() + 30_000;
  /** Waits (on real events) until the signing thread hands out headers signed ahead. */
  const signedAheadReady = (wallet: Wallet) =>
    vi.waitFor(async () => expect(signedAhead(await wallet.signIn())).toBe(true), { timeout: 20_000, interval: 20 });

  it('ttlSeconds 10: after 12 s idle the call signs afresh and Venice accepts it', async () => {
    useBehindClock();
    const wallet = await veniceWallet({ signIn: { ttlSeconds: 10 } });
    const paid = createX402Fetch({ wallet });
    expect((await paid(`${sim.baseURL}/chat/completions`, post())).status).toBe(200);
    await signedAheadReady(wallet);
    // 12 s after the thread signed anything (it signs on the real clock): everything signed ahead has expired.
    vi.setSystemTime(vi.getRealSystemTime() + 12_000);
    expect((await paid(`${sim.baseURL}/chat/completions`, post())).status).toBe(200);
  });

  it('the re-sign after a 401 is signed afresh, never taken from those signed ahead', async () => {
    useBehindClock();
    let first = true;
    const api = await startHostile((req, res) => {
      if (req.url!.includes('/models')) return json(res, 200, { object: 'list', data: [] });
      if (first) {
        first = false;
        return json(res, 401, { error: 'expired', code: 'X402_SIGN_IN_EXPIRED' });
      }
      json(res, 200, chatAnswer(0.001));
    });
    servers.push(api);
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: `${api.url}/api/v1` });
    wallets.push(wallet);
    await signedAheadReady(wallet); // before the call that gets the 401
    const now = Date.now();
    const paid = createX402Fetch({ wallet, baseURL: `${api.url}/api/v1` });
    expect((await paid(`${api.url}/api/v1/chat/completions`, post())).status).toBe(200);
    const signed = api.seen.map((s) => signInOf(s.headers)).filter(Boolean);
    expect(signed).toHaveLength(2);
    const resigned = JSON.parse(Buffer.from(signed[1]!, 'base64').toString());
    expect(resigned.timestamp).toBe(now); // issued now, on this thread's clock: not one signed ahead
  });
});

describe('a challenge no sign-in message can carry changes nothing', () => {
  it("a 401 from the wallet's own API naming a URI viem's SIWE builder refuses: later calls sign as before", async () => {
    let challenged = false;
    const api = await startHostile((_req, res) => {
      if (challenged) return json(res, 200, chatAnswer(0.0001, 'ok'));
      challenged = true;
      json(res, 401, {
        error: 'Sign-in required',
        code: 'X402_SIGN_IN_EXPIRED',
        siwxChallenge: {
          info: { domain: new URL(api.url).host, uri: `${api.url}/%zz`, statement: 'Sign in to Venice API' },
        },
      });
    });
    servers.push(api);
    const baseURL = `${api.url}/api/v1`;
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
    wallets.push(wallet);
    const estimator = createEstimator({ baseURL: null, defaultEstimateUsd: 0.01 }); // no price list to fetch
    const paid = createX402Fetch({ wallet, baseURL, estimator });
    await paid(`${baseURL}/chat/completions`, post()).catch(() => {}); // the challenge (and the one re-sign)
    for (let i = 0; i < 3; i++) expect((await paid(`${baseURL}/chat/completions`, post())).status).toBe(200);
    const signed = api.seen.map((seen) => signInOf(seen.headers)).filter(Boolean);
    expect(signed.length).toBeGreaterThanOrEqual(4);
    for (const header of signed) expect(messageOf(header)).not.toContain('%zz');
  });

  it('a configured signIn.uri or signIn.domain a message cannot carry is a ConfigError when the wallet is made', () => {
    for (const signIn of [{ uri: 'https://api.venice.ai/%zz' }, { uri: 'not a uri' }, { domain: 'api_venice.ai' }]) {
      expect(() => createWallet({ privateKey: generatePrivateKey() }, { signIn })).toThrow(ConfigError);
    }
  });
});
