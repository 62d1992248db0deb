/**
 * The one Sign-In-With-X builder for EVM wallets (docs/venice-protocol.md §1.1–1.2): the event loop and the signing thread both
 * import it, so a header is built the same way wherever it is signed.
 */
import { randomBytes } from 'node:crypto';
import type { Address, Hex } from 'viem';
import { viemSiwe } from './lazy.js';

/** What a Sign-In-With-X header says besides its nonce and times. */
export interface SignInRequest {
  chainId: number;
  domain: string;
  uri: string;
  statement: string;
  ttlSeconds: number;
}

/** Venice's own statements (docs/venice-protocol.md §1.3). A server's challenge may choose between these and nothing else. */
export const VENICE_STATEMENTS: readonly string[] = ['Sign in to Venice AI', 'Sign in to Venice API'];

/**
 * EIP-4361's statement grammar (what the strict siwe parser accepts): one line of URI characters and spaces,
 * here at most 256 of them.
 */
export const isPlainStatement = (value: unknown): value is string =>
  typeof value === 'string' && /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;= ]{1,256}$/.test(value);

/** 16-hex-digit nonces from a pooled random buffer: one trip to the system's generator per 64 headers. */
export function nonceSource(): () => string {
  let pool = Buffer.alloc(0);
  let at = 0;
  return () => {
    if (at + 8 > pool.length) {
      pool = randomBytes(512);
      at = 0;
    }
    at += 8;
    return pool.toString('hex', at - 8, at);
  };
}

/** One header value: the message issued at `at` (ms), signed with EIP-191 by `sign`, as base64 JSON. */
export async function buildSignInHeader(
  address: Address,
  sign: (message: string) => Promise<Hex>,
  request: SignInRequest,
  nonce: string,
  at: number,
): Promise<string> {
  const issuedAt = new Date(at);
  const message = viemSiwe().createSiweMessage({
    address,
    chainId: request.chainId,
    domain: request.domain,
    uri: request.uri,
    version: '1',
    nonce,
    issuedAt,
    expirationTime: new Date(at + request.ttlSeconds * 1000),
    statement: request.statement,
  });
  const signature = await sign(message);
  const json = JSON.stringify({ address, message, signature, timestamp: at, chainId: request.chainId });
  return Buffer.from(json, 'utf8').toString('base64');
}
