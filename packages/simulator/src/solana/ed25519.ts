import { createPublicKey, verify } from 'node:crypto';
import { base58Decode } from '@venice-x402/core/internal';

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A 64-byte Ed25519 signature sent as base58 or base64 (Venice accepts both); undefined when neither. */
export function decodeSignature(text: string): Uint8Array | undefined {
  const b58 = base58Decode(text);
  if (b58?.length === 64) return b58;
  if (/^[A-Za-z0-9+/]{86}==$/.test(text)) return new Uint8Array(Buffer.from(text, 'base64'));
  return undefined;
}

/** Ed25519 verification of `signature` over exactly `message` by the base58 public key `address`. */
export function verifyEd25519(address: string, message: Uint8Array, signature: Uint8Array): boolean {
  const publicKey = base58Decode(address);
  if (publicKey?.length !== 32 || signature.length !== 64) return false;
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
