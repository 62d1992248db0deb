/**
 * The one Sign-In-With-X builder for EVM wallets (docs/venice-protocol.md §1.1–1.2): the event loop and the signing thread both
 * import it, so a header is built the same way wherever it is signed.
 */
import { randomBytes } from 'node:crypto';
import type { Address, Hex } from 'viem';
import { isChecksummed } from './address.js';
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
  const message = signInMessage(address, request, nonce, at);
  const signature = await sign(message);
  const json = JSON.stringify({ address, message, signature, timestamp: at, chainId: request.chainId });
  return Buffer.from(json, 'utf8').toString('base64');
}

/** What every message of one request (and address) shares: all but the nonce and the times. */
interface Template {
  address: Address;
  head: string | undefined; // undefined: a field outside the template's checked subset, built by viem instead
}
const templates = new WeakMap<SignInRequest, Template>();

/**
 * The EIP-4361 message, byte for byte what viem's `createSiweMessage` builds for these fields, from a template made
 * once per request: no per-header validation, no viem/siwe to load on the first call. A field outside what the
 * template has checked (a domain, URI or address of another shape) goes through `createSiweMessage`, which
 * validates it as before.
 */
export function signInMessage(address: Address, request: SignInRequest, nonce: string, at: number): string {
  let template = templates.get(request);
  if (template?.address !== address) {
    template = { address, head: templateHead(address, request) };
    templates.set(request, template);
  }
  if (template.head === undefined || !NONCE.test(nonce)) {
    return viemSiwe().createSiweMessage({
      address,
      chainId: request.chainId,
      domain: request.domain,
      uri: request.uri,
      version: '1',
      nonce,
      issuedAt: new Date(at),
      expirationTime: new Date(at + request.ttlSeconds * 1000),
      statement: request.statement,
    });
  }
  const issuedAt = new Date(at).toISOString();
  const expires = new Date(at + request.ttlSeconds * 1000).toISOString();
  return `${template.head}${nonce}\nIssued At: ${issuedAt}\nExpiration Time: ${expires}`;
}

// viem's own checks for a domain (an RFC 3986 authority: a DNS name, an IPv4 address or localhost, with a port).
const DOMAIN =
  /^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+([a-zA-Z]{2,63}|[xX][nN]--[a-zA-Z0-9-]{0,58}[a-zA-Z0-9])(:[0-9]{1,5})?$/;
const IP =
  /^(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)(:[0-9]{1,5})?$/;
const LOCALHOST = /^localhost(:[0-9]{1,5})?$/;
const NONCE = /^[a-zA-Z0-9]{8,}$/;
/** A subset of the URIs viem accepts: http(s), an authority, an optional path; no query, fragment or escapes. */
const PLAIN_URI = /^https?:\/\/[A-Za-z0-9.\-:[\]]+(\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*)?$/;

/** The message up to its nonce, or undefined when a field is outside the checked subset. */
function templateHead(address: Address, request: SignInRequest): string | undefined {
  const { chainId, domain, uri, statement } = request;
  if (!Number.isSafeInteger(chainId) || !(DOMAIN.test(domain) || IP.test(domain) || LOCALHOST.test(domain))) {
    return undefined;
  }
  if (!PLAIN_URI.test(uri) || statement.includes('\n') || !isChecksummed(address)) return undefined;
  const line = statement ? `${statement}\n` : '';
  return `${domain} wants you to sign in with your Ethereum account:\n${address}\n\n${line}\nURI: ${uri}\nVersion: 1\nChain ID: ${chainId}\nNonce: `;
}
