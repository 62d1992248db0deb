import { randomBytes } from 'node:crypto';
import { base58Encode } from './base58.js';
import { SOLANA_CHAIN_REFERENCE, SOLANA_NETWORK } from './constants.js';
import type { SolanaSigner } from './signer.js';

/** The fields of a Solana Sign-In-With-X message (docs/venice-protocol.md §1.6). */
export interface SolanaSignInFields {
  domain: string;
  address: string;
  uri: string;
  statement?: string;
  /** `Chain ID` line: the bare genesis-hash reference (Venice also accepts it with the `solana:` prefix). */
  chainId?: string;
  nonce: string;
  issuedAt: Date;
  expirationTime?: Date;
  notBefore?: Date;
}

/**
 * The message text: the EIP-4361 layout with "Solana account" and a base58 address. Lines end in `\n`, no
 * trailing newline; a statement, when present, sits between blank lines.
 */
export function solanaSignInMessage(f: SolanaSignInFields): string {
  let text = `${f.domain} wants you to sign in with your Solana account:\n${f.address}`;
  if (f.statement) text += `\n\n${f.statement}`;
  const lines = [
    `URI: ${f.uri}`,
    'Version: 1',
    `Chain ID: ${f.chainId ?? SOLANA_CHAIN_REFERENCE}`,
    `Nonce: ${f.nonce}`,
    `Issued At: ${f.issuedAt.toISOString()}`,
  ];
  if (f.expirationTime) lines.push(`Expiration Time: ${f.expirationTime.toISOString()}`);
  if (f.notBefore) lines.push(`Not Before: ${f.notBefore.toISOString()}`);
  return `${text}\n\n${lines.join('\n')}`;
}

/** One base64 Sign-In-With-X header value issued at `at` (ms), signed with Ed25519: `type: "ed25519"`, CAIP-2 `chainId`. */
export async function signSolanaSignIn(
  signer: SolanaSigner,
  request: { domain: string; uri: string; statement: string; ttlSeconds: number },
  at: number = Date.now(),
): Promise<string> {
  const issuedAt = new Date(at);
  const message = solanaSignInMessage({
    domain: request.domain,
    address: signer.address,
    uri: request.uri,
    statement: request.statement,
    nonce: randomBytes(8).toString('hex'),
    issuedAt,
    expirationTime: new Date(issuedAt.getTime() + request.ttlSeconds * 1000),
  });
  const signature = await signer.signMessage(new TextEncoder().encode(message));
  const json = JSON.stringify({
    address: signer.address,
    message,
    signature: base58Encode(signature),
    timestamp: issuedAt.getTime(),
    chainId: SOLANA_NETWORK,
    type: 'ed25519',
  });
  return Buffer.from(json, 'utf8').toString('base64');
}
