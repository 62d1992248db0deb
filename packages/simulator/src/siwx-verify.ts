import siweParser from '@spruceid/siwe-parser';
import { getAddress, isAddress } from 'viem';
import { createSiweMessage } from 'viem/siwe';
import { offlineVerifier, type SignatureVerifier } from './signatures.js';
import type { ParsedSignIn, SiwxFail } from './siwx-parsed.js';
import { isSolanaPayload } from './solana/siwx-parse.js';
import { parseSolanaSignIn } from './solana/siwx-verify.js';

export interface SiwxOk {
  ok: true;
  /** EIP-55 (EVM) or base58 (Solana). */
  address: string;
  /** Ledger key: lowercased EVM address, or the base58 address as is (Solana addresses are case-sensitive). */
  account: string;
}
export interface SiwxVerifierOptions {
  /** Domains accepted after stripping scheme and port. */
  allowedDomains: string[];
  /** Offline EIP-191 recovery by default; a chain verifier also accepts smart accounts (EIP-1271, ERC-6492). */
  signatures?: SignatureVerifier;
  now?: () => number;
}

interface SiweFields {
  domain: string;
  address: string;
  chainId: number;
  nonce: string;
  issuedAt: Date;
  expirationTime?: Date;
  notBefore?: Date;
}

/**
 * Strict EIP-4361 (the ABNF grammar the `siwe` package uses): EIP-55 address, `Version: 1`, a nonce of at least 8
 * alphanumerics, RFC 3339 times, no trailing newline. A lenient regex would let through what Venice refuses.
 */
function parseStrict(message: string): SiweFields | undefined {
  try {
    const m = new siweParser.ParsedMessage(message);
    const date = (v: string | undefined) => (v === undefined ? undefined : new Date(v));
    return {
      domain: m.domain,
      address: m.address,
      chainId: m.chainId,
      nonce: m.nonce,
      issuedAt: new Date(m.issuedAt),
      expirationTime: date(m.expirationTime),
      notBefore: date(m.notBefore),
    };
  } catch {
    return undefined;
  }
}

/** What a user who signed for the host they reach (127.0.0.1) must change: said in the refusal itself. */
const domainHelp = (domain: string, expected = 'api.venice.ai') =>
  `Sign-in-with-X domain ${domain.slice(0, 100)} is not allowed: sign in for ${expected} whatever host you reach ` +
  `(createWallet(key, { signIn: { domain: '${expected}' } }), or VENICE_SIGN_IN_DOMAIN=${expected}; ` +
  'the simulator hands these out as sim.clientOptions)';

const AGE_CAP_MS = 5 * 60_000;
const SKEW_MS = 30_000;
const NONCE_MEMORY_MS = 330_000;

const fail = (reason: string, error: string): SiwxFail => ({ ok: false, code: `X402_SIGN_IN_${reason}`, error });

/** Verifies Sign-In-With-X headers as Venice does (docs/venice-protocol.md §1): real EIP-191 recovery, single-use nonces. */
export function createSiwxVerifier(options: SiwxVerifierOptions) {
  const now = options.now ?? Date.now;
  const signatures = options.signatures ?? offlineVerifier();
  const allowed = new Set(options.allowedDomains.map((d) => d.toLowerCase()));
  const used = new Map<string, number>(); // `${address}:${nonce}` → expiry
  let lastSweep = 0;

  function sweep(t: number) {
    if (t - lastSweep < 10_000) return;
    lastSweep = t;
    for (const [k, exp] of used) if (exp < t) used.delete(k);
  }

  return async function verify(header: string): Promise<SiwxOk | SiwxFail> {
    let payload: Record<string, any>;
    try {
      payload = JSON.parse(Buffer.from(header.trim(), 'base64').toString('utf8'));
      if (!payload || typeof payload !== 'object') throw new Error('not an object');
    } catch {
      return fail('PARSE_ERROR', 'Sign-in-with-X header is not base64 JSON');
    }
    if (typeof payload.address !== 'string' || typeof payload.signature !== 'string') {
      return fail('INVALID_PAYLOAD', 'Sign-in-with-X payload is missing address, message or signature');
    }
    const parsed = isSolanaPayload(payload) ? parseSolanaSignIn(payload) : parseEvmSignIn(payload, signatures);
    if ('ok' in parsed) return parsed;
    const { fields } = parsed;
    const domain = fields.domain
      .replace(/^[a-z]+:\/\//i, '')
      .replace(/[:/].*$/, '')
      .toLowerCase();
    if (!allowed.has(domain)) return fail('DOMAIN_MISMATCH', domainHelp(domain, options.allowedDomains[0]));
    const t = now();
    const issued = fields.issuedAt.getTime();
    if (payload.timestamp !== undefined && Math.abs(Number(payload.timestamp) - issued) > SKEW_MS) {
      return fail('TIMESTAMP_MISMATCH', 'Sign-in-with-X timestamp is more than 30 s from Issued At');
    }
    if (issued - t > SKEW_MS) return fail('FUTURE_TIMESTAMP', 'Sign-in-with-X Issued At is in the future');
    if (t - issued > AGE_CAP_MS || (fields.expirationTime && fields.expirationTime.getTime() < t)) {
      return fail('EXPIRED', 'Sign-in-with-X message has expired');
    }
    if (fields.notBefore && fields.notBefore.getTime() > t)
      return fail('NOT_BEFORE', 'Sign-in-with-X message is not valid yet');
    if (!(await parsed.checkSignature())) return fail('INVALID_SIGNATURE', 'Sign-in-with-X signature does not verify');
    const key = `${parsed.account}:${fields.nonce}`;
    sweep(t);
    if (used.has(key)) return fail('NONCE_REUSED', 'Sign-in-with-X nonce has already been used');
    used.set(key, t + NONCE_MEMORY_MS);
    return { ok: true, address: parsed.address, account: parsed.account };
  };
}

/** The EVM half: strict EIP-4361, Base only, EIP-191 (or, on a chain, EIP-1271 / ERC-6492) signatures. */
function parseEvmSignIn(payload: Record<string, any>, signatures: SignatureVerifier): ParsedSignIn | SiwxFail {
  let message = payload.message;
  if (message === undefined && typeof payload.domain === 'string') {
    // Structured form: rebuild the text the client must have signed.
    try {
      message = createSiweMessage({
        address: getAddress(payload.address),
        chainId: Number(String(payload.chainId ?? '').replace(/^eip155:/, '')),
        domain: payload.domain,
        uri: payload.uri,
        version: '1',
        nonce: payload.nonce,
        issuedAt: new Date(payload.issuedAt),
        expirationTime: payload.expirationTime ? new Date(payload.expirationTime) : undefined,
        notBefore: payload.notBefore ? new Date(payload.notBefore) : undefined,
        statement: payload.statement,
      });
    } catch {
      return fail('INVALID_MESSAGE', 'Sign-in-with-X structured fields are invalid');
    }
  }
  if (typeof message !== 'string') return fail('INVALID_PAYLOAD', 'Sign-in-with-X payload is missing the message');
  if (!isAddress(payload.address, { strict: false }))
    return fail('INVALID_WALLET', 'Sign-in-with-X authentication failed');
  const fields = parseStrict(message);
  if (!fields) {
    if (!/^Nonce: /m.test(message)) return fail('MISSING_NONCE', 'Sign-in-with-X message has no nonce');
    return fail('INVALID_MESSAGE', 'Sign-in-with-X message is not a valid EIP-4361 message');
  }
  if (fields.address.toLowerCase() !== payload.address.toLowerCase()) {
    return fail('ADDRESS_MISMATCH', 'Sign-in-with-X address does not match the message');
  }
  if (payload.chainId !== undefined) {
    const m = /^(?:eip155:)?(\d+)$/.exec(String(payload.chainId));
    if (!m) return fail('INVALID_CHAIN_ID', 'Sign-in-with-X authentication failed');
    if (Number(m[1]) !== fields.chainId)
      return fail('CHAIN_MISMATCH', 'Sign-in-with-X chainId disagrees with the message');
  }
  if (fields.chainId !== 8453) return fail('UNSUPPORTED_CHAIN', 'Sign-in-with-X chain must be Base (8453)');
  const address = getAddress(payload.address);
  return {
    fields,
    address,
    account: address.toLowerCase(),
    checkSignature: () => signatures.message({ address, message, signature: payload.signature as `0x${string}` }),
  };
}
