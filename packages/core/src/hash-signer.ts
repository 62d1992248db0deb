import { createRequire } from 'node:module';
import type { Address, Hex, LocalAccount } from 'viem';
import { checksumAddress } from './address.js';
import { keccak256Hex } from './keccak.js';

const require = createRequire(import.meta.url);

interface Libsecp256k1 {
  signRecoverable(hash: Uint8Array, key: Uint8Array): { signature: Uint8Array; recoveryId: 0 | 1 | 2 | 3 };
  isPrivate(key: Uint8Array): boolean;
  pointFromScalar(key: Uint8Array, compressed?: boolean): Uint8Array | null;
  pointMultiply(point: Uint8Array, scalar: Uint8Array, compressed?: boolean): Uint8Array | null;
}

let lib: Libsecp256k1 | null | undefined;

/** `tiny-secp256k1` (libsecp256k1 compiled to WASM), an optional dependency; null when it is not installed. */
export function libsecp256k1(): Libsecp256k1 | null {
  if (lib === undefined) {
    try {
      lib = require('tiny-secp256k1') as Libsecp256k1;
    } catch {
      lib = null;
    }
  }
  return lib;
}

/**
 * Signs 32-byte hashes (an EIP-191 message hash, an EIP-712 typed-data hash) with libsecp256k1: the same bytes as
 * viem's `sign` (RFC 6979 nonce, low s) for ≈ 3× less CPU (≈ 0.12 vs 0.42 ms), which is most of a wallet call's
 * cost. Undefined when the optional library is missing. Answers undefined for a signature a `v` byte cannot
 * express (recovery id ≥ 2, odds ~2⁻¹²⁸): the caller then signs with viem.
 */
export function hashSigner(privateKey: Hex): ((hash: Hex) => Hex | undefined) | undefined {
  const secp = libsecp256k1();
  if (!secp) return undefined;
  const key = Buffer.from(privateKey.slice(2), 'hex');
  return (hash) => {
    const { signature, recoveryId } = secp.signRecoverable(Buffer.from(hash.slice(2), 'hex'), key);
    if (recoveryId > 1) return undefined;
    return `0x${Buffer.from(signature).toString('hex')}${(27 + recoveryId).toString(16)}` as Hex;
  };
}

/**
 * The address of a private key computed by libsecp256k1 (checksummed, as viem's `privateKeyToAccount` gives it),
 * so a wallet need not load viem's accounts to know its address. Undefined when the library is missing; throws
 * for a scalar that is not a valid key.
 */
export function addressOfKey(privateKey: Hex): Address | undefined {
  const secp = libsecp256k1();
  if (!secp) return undefined;
  const point = secp.pointFromScalar(Buffer.from(privateKey.slice(2), 'hex'), false);
  if (!point) throw new Error('not a valid secp256k1 private key');
  return checksumAddress(keccak256Hex(point.subarray(1)).slice(24));
}

/** The EIP-191 hash of a message (what `personal_sign` signs), as viem's `hashMessage` computes it. */
export function eip191Hash(message: string): Hex {
  const bytes = Buffer.from(message, 'utf8');
  return `0x${keccak256Hex(`\x19Ethereum Signed Message:\n${bytes.length}`, bytes)}`;
}

/**
 * EIP-191 `personal_sign` with the key: libsecp256k1 where available, else the viem account (made on first need,
 * so a signer with libsecp256k1 never loads viem's accounts). Used by the event loop and the signing thread alike.
 */
export function eip191Signer(privateKey: Hex, account: () => LocalAccount): (message: string) => Promise<Hex> {
  const signHash = hashSigner(privateKey);
  return async (message) => signHash?.(eip191Hash(message)) ?? account().signMessage({ message });
}
