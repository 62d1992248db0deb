/**
 * Issue 25.1: an app's global dispatcher that follows redirects (undici's `Agent({ maxRedirections })` or
 * `interceptors.redirect`, from the undici npm package as apps install it) must not carry a sign-in, key or
 * payment to the origin a 307 names. Node 20 and 22 bundle undici 6, Node 24 undici 7, Node 26 undici 8.
 */
import { createBudget, createEstimator, createWallet, X402Error } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import * as undici6 from 'undici6';
import * as undici7 from 'undici7';
import { generatePrivateKey } from 'viem/accounts';
import { afterEach, describe, expect, it } from 'vitest';
import { chatAnswer, chatBody, type Hostile, json, PAY_TO, quoteHeader, startHostile } from './hostile-server.js';

const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');
const nodeDispatcher = (globalThis as any)[GLOBAL_DISPATCHER];
const servers: Hostile[] = [];
const installed: { close(): Promise<void> }[] = [];
afterEach(async () => {
  (globalThis as any)[GLOBAL_DISPATCHER] = nodeDispatcher;
  await Promise.all(installed.splice(0).map((d) => d.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** An interceptor that follows redirects whatever a request asks (`maxRedirections: 0` ignored). */
function stubbornRedirects(undici: typeof undici7) {
  return (dispatch: any) => (opts: any, handler: any) =>
    dispatch(opts, new (undici.RedirectHandler as any)(dispatch, 3, { ...opts, maxRedirections: 3 }, handler));
}

const dispatchers: Record<string, () => any> = {
  'undici 6 new Agent({ maxRedirections: 3 })': () => new undici6.Agent({ maxRedirections: 3 }),
  'undici 6 Agent().compose(interceptors.redirect)': () =>
    new undici6.Agent().compose(undici6.interceptors.redirect({ maxRedirections: 3 })),
  'undici 7 Agent().compose(interceptors.redirect)': () =>
    new undici7.Agent().compose(undici7.interceptors.redirect({ maxRedirections: 3 })),
};
const stubborn: Record<string, () => any> = {
  'undici 6 interceptor that ignores maxRedirections': () =>
    new undici6.Agent().compose(stubbornRedirects(undici6 as any) as any),
  'undici 7 interceptor that ignores maxRedirections': () => new undici7.Agent().compose(stubbornRedirects(undici7)),
};

async function hostile(...args: Parameters<typeof startHostile>) {
  const s = await startHostile(...args);
  servers.push(s);
  return s;
}

function install(make: () => any) {
  const dispatcher = make();
  installed.push(dispatcher);
  (globalThis as any)[GLOBAL_DISPATCHER] = dispatcher;
}

const CREDENTIALS = ['sign-in-with-x', 'x-sign-in-with-x', 'authorization', 'payment-signature', 'x-payment'];
const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: chatBody() };

/** The API answers every request with a 307 to the thief; the pay-per-call one first asks to be paid. */
async function servers307() {
  const thief = await hostile((_req, res) => json(res, 200, chatAnswer(0.01)));
  const api = await hostile((req, res) => {
    if (req.url!.startsWith('/pay') && !req.headers['payment-signature'])
      return json(res, 402, { error: 'pay' }, { 'PAYMENT-REQUIRED': quoteHeader(10_000n) });
    res.writeHead(307, { location: `${thief.url}/steal` });
    res.end();
  });
  return { api, thief };
}

/** A call with each credential the paid fetch sends: sign-in, API key, x402 payment. */
function callers(api: Hostile) {
  const baseURL = `${api.url}/api/v1`;
  const estimator = createEstimator({ baseURL: null, defaultEstimateUsd: 0.01 });
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
  const budget = createBudget({ signing: { payees: [PAY_TO] } });
  return {
    'sign-in': () => createX402Fetch({ wallet, budget, baseURL, estimator })(`${baseURL}/chat/completions`, post),
    'API key': () =>
      createX402Fetch({ apiKey: 'sk-canary', budget, baseURL, estimator })(`${baseURL}/chat/completions`, post),
    payment: () =>
      createX402Fetch({ wallet, budget, mode: 'payg', baseURL: `${api.url}/pay`, maxRetries: 0 })(
        `${api.url}/pay/chat`,
        post,
      ),
  };
}

const leaked = (thief: Hostile) => thief.seen.flatMap((s) => CREDENTIALS.filter((name) => name in s.headers));

describe('a redirect-following global dispatcher never carries a credential to another origin', () => {
  for (const [name, make] of Object.entries(dispatchers)) {
    it(`${name}: the caller gets the 307, the other origin sees nothing`, async () => {
      const { api, thief } = await servers307();
      install(make);
      for (const [credential, call] of Object.entries(callers(api))) {
        const res = await call();
        expect(res.status, credential).toBe(307);
        expect(res.headers.get('location')).toBe(`${thief.url}/steal`);
      }
      expect(api.seen.filter((s) => CREDENTIALS.some((c) => c in s.headers)).length).toBe(3); // sign-in, key, paid retry
      expect(leaked(thief)).toEqual([]);
      expect(thief.seen).toHaveLength(0);
    });
  }

  for (const [name, make] of Object.entries(stubborn)) {
    it(`${name}: the second request is stopped before it is sent, with an error that says why`, async () => {
      const { api, thief } = await servers307();
      install(make);
      for (const [credential, call] of Object.entries(callers(api))) {
        const error = await call().then(
          () => undefined,
          (e) => e,
        );
        expect(error, credential).toBeInstanceOf(X402Error);
        expect(error.message).toMatch(/followed a redirect/);
      }
      expect(leaked(thief)).toEqual([]);
      expect(thief.seen).toHaveLength(0);
    });
  }
});

describe("the app's dispatcher still carries every call (MockAgent, as tests install it)", () => {
  for (const [name, MockAgent] of [
    ['undici 6', undici6.MockAgent as unknown as typeof undici7.MockAgent],
    ['undici 7', undici7.MockAgent],
  ] as const) {
    it(`${name} MockAgent answers the signed call; the real server sees nothing`, async () => {
      const real = await hostile((_req, res) => json(res, 200, chatAnswer(0.01)));
      const agent = new MockAgent();
      agent.disableNetConnect();
      let signedIn = false;
      agent
        .get(real.url)
        .intercept({ path: '/api/v1/chat/completions', method: 'POST' })
        .reply(200, (opts: { headers?: unknown }) => {
          signedIn = JSON.stringify(opts.headers).includes('sign-in-with-x');
          return chatAnswer(0.02, 'chatcmpl-mocked');
        });
      install(() => agent);
      const res = await callers(real)['sign-in']();
      expect(res.status).toBe(200);
      expect(((await res.json()) as { id: string }).id).toBe('chatcmpl-mocked');
      expect(signedIn).toBe(true);
      expect(real.seen).toEqual([]);
    });
  }
});

it('a `fetch` option that follows redirects anyway: its answer from elsewhere is refused, not taken as the API’s', async () => {
  const thief = await hostile((_req, res) => json(res, 200, chatAnswer(0.01)));
  const api = await hostile((_req, res) => {
    res.writeHead(302, { location: `${thief.url}/steal` });
    res.end();
  });
  const baseURL = `${api.url}/api/v1`;
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
  const budget = createBudget();
  const following = (url: string | URL | Request, init?: RequestInit) =>
    globalThis.fetch(url, { ...init, redirect: 'follow' });
  const paid = createX402Fetch({
    wallet,
    budget,
    baseURL,
    fetch: following,
    estimator: createEstimator({ baseURL: null, defaultEstimateUsd: 0.01 }),
  });
  const error = await paid(`${baseURL}/chat/completions`, post).then(
    () => undefined,
    (e) => e,
  );
  expect(X402Error.isInstance(error) && error.code).toBe('INVALID_CONFIG');
  expect(error.message).toMatch(/followed a redirect though asked not to/);
  expect(thief.seen).toHaveLength(1); // a fetch we do not control sent it; its answer is not taken as the API's
  // The signed request left the process and no answer of the API's came back: its hold stays counted (ambiguous)
  // until reconciled — the other origin holds a sign-in it could spend once.
  expect((await budget.report()).totalUsd).toBe(0.01);
});
