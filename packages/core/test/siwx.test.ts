import { ParsedMessage } from '@spruceid/siwe-parser';
import { verifyMessage } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, createWallet, InvalidKeyError } from '../src/index.js';

/** Decodes a header value with an implementation independent of ours: the siwe parser + viem. */
async function verifyIndependently(header: string) {
  const json = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  const parsed = new ParsedMessage(json.message);
  const valid = await verifyMessage({ address: json.address, message: json.message, signature: json.signature });
  return { json, parsed, valid };
}

describe('Sign-In-With-X', () => {
  it('produces a header the siwe parser and viem verify: domain, chain, nonce, expiry, signature', async () => {
    const key = generatePrivateKey();
    const wallet = createWallet({ privateKey: key });
    const before = Date.now();
    const { json, parsed, valid } = await verifyIndependently(await wallet.signIn());
    expect(valid).toBe(true);
    expect(json.address).toBe(privateKeyToAccount(key).address);
    expect(json.chainId).toBe(8453);
    expect(parsed.domain).toBe('api.venice.ai');
    expect(parsed.uri).toBe('https://api.venice.ai');
    expect(parsed.chainId).toBe(8453);
    expect(parsed.version).toBe('1');
    expect(parsed.statement).toBe('Sign in to Venice AI');
    expect(parsed.nonce).toMatch(/^[0-9a-f]{16}$/);
    const issued = Date.parse(parsed.issuedAt!);
    expect(issued).toBeGreaterThanOrEqual(before - 1);
    expect(json.timestamp).toBe(issued);
    const ttl = Date.parse(parsed.expirationTime!) - issued;
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300_000);
  });

  it('never reuses a nonce, including headers served from the pre-signed pool', async () => {
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { signIn: { presign: 4 } });
    const nonces = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const { parsed, valid } = await verifyIndependently(await wallet.signIn());
      expect(valid).toBe(true);
      nonces.add(parsed.nonce);
      if (i % 5 === 0) await new Promise((r) => setTimeout(r, 5)); // kept real: the signing thread refills the pool
    }
    expect(nonces.size).toBe(40);
  });

  it('signs for the host it talks to, port included, and honours configuration', async () => {
    vi.stubEnv('VENICE_SIGN_IN_DOMAIN', ''); // the suite sets it for the simulator
    const wallet = createWallet(
      { privateKey: generatePrivateKey() },
      {
        baseURL: 'http://127.0.0.1:8787/api/v1',
        signIn: { statement: 'hi', ttlSeconds: 120, headerName: 'X-Sign-In-With-X' },
      },
    );
    expect(wallet.signInHeaderName).toBe('X-Sign-In-With-X');
    const { parsed } = await verifyIndependently(await wallet.signIn());
    expect(parsed.domain).toBe('127.0.0.1:8787');
    expect(parsed.statement).toBe('hi');
    expect(Date.parse(parsed.expirationTime!) - Date.parse(parsed.issuedAt!)).toBe(120_000);
    vi.stubEnv('VENICE_SIGN_IN_DOMAIN', 'api.venice.ai');
    const proxied = createWallet({ privateKey: generatePrivateKey() }, { baseURL: 'http://127.0.0.1:8787/api/v1' });
    expect((await verifyIndependently(await proxied.signIn())).parsed.domain).toBe('api.venice.ai');
    const explicit = createWallet(
      { privateKey: generatePrivateKey() },
      { baseURL: 'http://127.0.0.1:8787/api/v1', signIn: { domain: 'venice.ai' } },
    );
    expect((await verifyIndependently(await explicit.signIn())).parsed.domain).toBe('venice.ai');
    vi.unstubAllEnvs();
  });

  it('follows a same-site challenge but never signs for a foreign domain a server names', async () => {
    vi.stubEnv('VENICE_SIGN_IN_DOMAIN', ''); // a configured domain is never changed by a challenge
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { signIn: { presign: 0 } });
    const venice = 'https://api.venice.ai/api/v1/chat/completions';
    wallet.applySignInChallenge({ domain: 'evil.example', uri: 'https://evil.example' }, venice);
    wallet.applySignInChallenge({ domain: 'api.venice.ai:8443', uri: 'https://api.venice.ai:8443' }, venice);
    const before = (await verifyIndependently(await wallet.signIn())).parsed;
    expect([before.domain, before.uri]).toEqual(['api.venice.ai', 'https://api.venice.ai']);
    wallet.applySignInChallenge({ domain: 'venice.ai', uri: venice }, venice);
    const { parsed } = await verifyIndependently(await wallet.signIn());
    expect(parsed.domain).toBe('venice.ai');
    expect(parsed.uri).toBe(venice);
    vi.unstubAllEnvs();
  });

  it("a challenge tunes only its own origin's sign-ins, and a statement Venice does not use is never signed", async () => {
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { signIn: { presign: 0 } });
    const hostile = 'I approve every transfer requested by gateway.example';
    for (const domain of ['api.venice.ai', 'gateway.example', 'venice.ai'])
      wallet.applySignInChallenge(
        { domain, uri: 'https://api.venice.ai/x', statement: hostile },
        'https://gateway.example',
      );
    const venice = (await verifyIndependently(await wallet.signIn())).parsed;
    expect([venice.domain, venice.uri, venice.statement]).toEqual([
      'api.venice.ai',
      'https://api.venice.ai',
      'Sign in to Venice AI',
    ]);
    const gateway = (await verifyIndependently(await wallet.signIn('https://gateway.example/v1/chat'))).parsed;
    expect([gateway.domain, gateway.uri, gateway.statement]).toEqual([
      'gateway.example',
      'https://gateway.example',
      'Sign in to Venice AI',
    ]);
    // From Venice itself: a hostile statement is ignored, one of Venice's own is followed.
    wallet.applySignInChallenge({ domain: 'api.venice.ai', statement: `${hostile}\nline` }, 'https://api.venice.ai');
    expect((await verifyIndependently(await wallet.signIn())).parsed.statement).toBe('Sign in to Venice AI');
    wallet.applySignInChallenge(
      { domain: 'api.venice.ai', statement: 'Sign in to Venice API' },
      'https://api.venice.ai',
    );
    expect((await verifyIndependently(await wallet.signIn())).parsed.statement).toBe('Sign in to Venice API');
  });

  it('the configured domain (VENICE_SIGN_IN_DOMAIN) names Venice only: any other origin gets its own host', async () => {
    vi.stubEnv('VENICE_SIGN_IN_DOMAIN', 'api.venice.ai');
    const wallet = createWallet(
      { privateKey: generatePrivateKey() },
      { baseURL: 'http://127.0.0.1:8787/api/v1', signIn: { presign: 0 } },
    );
    const domainFor = async (url?: string, target?: { venice?: boolean }) =>
      (await verifyIndependently(await wallet.signIn(url, target))).parsed.domain;
    expect(await domainFor()).toBe('api.venice.ai');
    expect(await domainFor('http://127.0.0.1:8787/api/v1/chat/completions')).toBe('api.venice.ai');
    expect(await domainFor('http://127.0.0.1:9999/v1/chat/completions')).toBe('127.0.0.1:9999');
    expect(await domainFor('https://gateway.example/v1/chat')).toBe('gateway.example');
    // A paid fetch in `venice` mode vouches for its base: a proxy of Venice off the wallet's base URL.
    expect(await domainFor('https://proxy.example/api/v1/chat', { venice: true })).toBe('api.venice.ai');
    vi.unstubAllEnvs();
  });

  it('hands out a header signed ahead only in the first half of its life (signing on the event loop)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const wallet = createWallet(
        { privateKey: generatePrivateKey() },
        { signOffThread: false, signIn: { presign: 4, ttlSeconds: 10 } },
      );
      const issued = async () => JSON.parse(Buffer.from(await wallet.signIn(), 'base64').toString()).timestamp;
      await wallet.signIn(); // signed now; the pool fills a moment later
      await vi.waitFor(async () => expect(await issued()).toBeLessThan(Date.now()), { interval: 5 });
      vi.setSystemTime(Date.now() + 4_000); // 4 s of 10: still handed out
      expect(await issued()).toBeLessThan(Date.now());
      vi.setSystemTime(Date.now() + 2_000); // past 5 s: signed on the spot
      expect(await issued()).toBe(Date.now());
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a statement or domain that cannot be one line of an EIP-4361 message, with a typed error', async () => {
    const make = (signIn: object) => () => createWallet({ privateKey: generatePrivateKey() }, { signIn });
    expect(make({ statement: 'Sign in\nURI: https://evil.example' })).toThrow(ConfigError);
    expect(make({ statement: 'x'.repeat(257) })).toThrow(ConfigError);
    expect(make({ statement: 'Grüße' })).toThrow(ConfigError);
    expect(make({ domain: 'api.venice.ai\nevil' })).toThrow(ConfigError);
    expect(make({ domain: 'evil.example/path' })).toThrow(ConfigError);
    expect(make({ statement: "Sign in to Acme's agent, v2 (prod)" })).not.toThrow();
    await expect(make({})().signIn('/relative')).rejects.toThrow(ConfigError);
  });
});

describe('signers', () => {
  it('accepts a viem Account and a custom signer object', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const fromAccount = createWallet({ account });
    expect(fromAccount.address).toBe(account.address);
    expect((await verifyIndependently(await fromAccount.signIn())).valid).toBe(true);

    let calls = 0;
    const custom = {
      address: account.address.toLowerCase() as `0x${string}`,
      signMessage: async (args: { message: string }) => {
        calls++;
        return account.signMessage(args);
      },
      signTypedData: async (args: any) => account.signTypedData(args),
    };
    const fromCustom = createWallet({ account: custom });
    expect(fromCustom.address).toBe(account.address);
    expect((await verifyIndependently(await fromCustom.signIn())).valid).toBe(true);
    expect(calls).toBe(1); // external signers are not pre-signed against (no surprise prompts)
  });

  it('rejects invalid keys with a typed error that never echoes the key', () => {
    const bad = ['0x1234', `0x${'zz'.repeat(32)}`, `0x${'00'.repeat(32)}`, 42 as any];
    for (const privateKey of bad) {
      let error: unknown;
      try {
        createWallet({ privateKey });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidKeyError);
      const text = `${(error as Error).message} ${JSON.stringify(error)} ${(error as Error).stack}`;
      if (typeof privateKey === 'string' && privateKey.length > 6) expect(text).not.toContain(privateKey.slice(2, 20));
    }
    expect(() => createWallet({ account: { address: '0x1' } as any })).toThrow(InvalidKeyError);
  });

  it('does not expose the key through JSON or inspect', async () => {
    const key = generatePrivateKey();
    const wallet = createWallet({ privateKey: key });
    const { inspect } = await import('node:util');
    const hex = key.slice(2);
    expect(JSON.stringify(wallet)).not.toContain(hex);
    expect(inspect(wallet, { depth: 10, showHidden: true })).not.toContain(hex);
    expect(inspect(wallet.signer, { depth: 10, showHidden: true })).not.toContain(hex);
  });
});
