import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createSiweMessage } from 'viem/siwe';
import { expect, it } from 'vitest';
import { type SignInRequest, signInMessage } from '../src/sign-in-message.js';

const request = (over: Partial<SignInRequest> = {}): SignInRequest => ({
  chainId: 8453,
  domain: 'api.venice.ai',
  uri: 'https://api.venice.ai',
  statement: 'Sign in to Venice AI',
  ttlSeconds: 300,
  ...over,
});
const viemMessage = (address: string, r: SignInRequest, nonce: string, at: number) =>
  createSiweMessage({
    address: address as `0x${string}`,
    chainId: r.chainId,
    domain: r.domain,
    uri: r.uri,
    version: '1',
    nonce,
    issuedAt: new Date(at),
    expirationTime: new Date(at + r.ttlSeconds * 1000),
    statement: r.statement,
  });

it("fills a template that writes, byte for byte, what viem's createSiweMessage writes", () => {
  const requests = [
    request(),
    request({ domain: 'venice.ai', uri: 'https://venice.ai/api/v1', statement: 'Sign in to Venice API' }),
    request({ domain: '127.0.0.1:41234', uri: 'http://127.0.0.1:41234' }),
    request({ domain: 'localhost:3000', uri: 'http://localhost:3000/x', ttlSeconds: 10 }),
    request({ statement: '' }),
    request({ chainId: 84532, uri: "https://api.venice.ai/a-b_c~d!$&'()*+,;=:@/" }),
  ];
  for (let i = 0; i < 30; i++) {
    const address = privateKeyToAccount(generatePrivateKey()).address;
    for (const r of requests) {
      const nonce = Math.random().toString(16).slice(2, 18).padEnd(8, '0');
      const at = 1_700_000_000_000 + Math.floor(Math.random() * 1e11);
      expect(signInMessage(address, r, nonce, at)).toBe(viemMessage(address, r, nonce, at));
      // The template is reused for the same request: a second message differs only in nonce and times.
      expect(signInMessage(address, r, 'abcdefgh', at + 1)).toBe(viemMessage(address, r, 'abcdefgh', at + 1));
    }
  }
});

it('a field outside the template goes through viem: validated (the same error) or written as viem writes it', () => {
  const address = privateKeyToAccount(generatePrivateKey()).address;
  const at = 1_750_000_000_000;
  // Written as viem writes them: a URI with a query, a lower-case address (checksummed in the message).
  for (const [who, r] of [
    [address, request({ uri: 'https://api.venice.ai/?a=1#b' })],
    [address.toLowerCase(), request()],
  ] as const) {
    expect(signInMessage(who as `0x${string}`, r, 'abcdefgh12', at)).toBe(viemMessage(who, r, 'abcdefgh12', at));
  }
  // Refused as viem refuses them.
  for (const [r, nonce] of [
    [request({ domain: '[::1]:8080', uri: 'http://[::1]:8080' }), 'abcdefgh12'],
    [request({ uri: 'not a uri' }), 'abcdefgh12'],
    [request({ chainId: 1.5 }), 'abcdefgh12'],
    [request(), 'short'],
    [request(), 'has space 12'],
  ] as const) {
    expect(() => viemMessage(address, r, nonce, at)).toThrow();
    expect(() => signInMessage(address, r, nonce, at)).toThrow(/SIWE|Invalid|siwe/i);
  }
});
