import { generateKeyPairSync } from 'node:crypto';
import { base58Encode } from '@venice-x402/core/internal';

/** A fresh Ed25519 keypair as Solana tools write it: seed, public key, and base58 of the 64-byte secret key. */
export function newSolanaKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const secret = new Uint8Array([...seed, ...pub]);
  return { seed: new Uint8Array(seed), secret, address: base58Encode(pub), secretBase58: base58Encode(secret) };
}
