import { isSolanaAddress, SOLANA_CHAIN_REFERENCE } from '@venice-x402/core/internal';
import type { ParsedSignIn, SiwxFail } from '../siwx-parsed.js';
import { decodeSignature, verifyEd25519 } from './ed25519.js';
import { parseSolanaMessage, rebuildSolanaMessage } from './siwx-parse.js';

const fail = (reason: string, error: string): SiwxFail => ({ ok: false, code: `X402_SIGN_IN_${reason}`, error });

/**
 * The Solana half of Sign-In-With-X (docs/venice-protocol.md §1.6): a base58 address compared exactly, the Solana message
 * grammar, mainnet only, and an Ed25519 signature (base58 or base64) over the exact message bytes.
 */
export function parseSolanaSignIn(payload: Record<string, any>): ParsedSignIn | SiwxFail {
  let message = payload.message;
  if (message === undefined && typeof payload.domain === 'string') {
    message = rebuildSolanaMessage(payload);
    if (message === undefined) return fail('INVALID_MESSAGE', 'Sign-in-with-X structured fields are invalid');
  }
  if (typeof message !== 'string') return fail('INVALID_PAYLOAD', 'Sign-in-with-X payload is missing the message');
  if (!isSolanaAddress(payload.address)) return fail('INVALID_WALLET', 'Sign-in-with-X authentication failed');
  const fields = parseSolanaMessage(message);
  if (!fields) {
    if (!/^Nonce: /m.test(message)) return fail('MISSING_NONCE', 'Sign-in-with-X message has no nonce');
    return fail('INVALID_MESSAGE', 'Sign-in-with-X message is not a valid Solana sign-in message');
  }
  if (fields.address !== payload.address) {
    return fail('ADDRESS_MISMATCH', 'Sign-in-with-X address does not match the message');
  }
  if (payload.chainId !== undefined) {
    const m = /^(?:solana:)?([1-9A-HJ-NP-Za-km-z]{32,44})$/.exec(String(payload.chainId));
    if (!m) return fail('INVALID_CHAIN_ID', 'Sign-in-with-X authentication failed');
    if (m[1] !== fields.chainReference)
      return fail('CHAIN_MISMATCH', 'Sign-in-with-X chainId disagrees with the message');
  }
  if (fields.chainReference !== SOLANA_CHAIN_REFERENCE) {
    return fail('UNSUPPORTED_CHAIN', 'Sign-in-with-X Solana chain must be mainnet');
  }
  const address: string = payload.address;
  const signature = decodeSignature(String(payload.signature));
  return {
    fields,
    address,
    account: address,
    checkSignature: async () =>
      signature !== undefined && verifyEd25519(address, new TextEncoder().encode(message), signature),
  };
}
