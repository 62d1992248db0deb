import { createHash, getHashes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Hex, LocalAccount } from 'viem';
import { viem } from './lazy.js';

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

const nativeKeccak = getHashes().includes('keccak-256');

/**
 * The EIP-191 hash of a message (what `personal_sign` signs) with OpenSSL's keccak-256 where Node has it (24 and
 * later: ≈ 30× faster than keccak in JavaScript); undefined where it does not (the caller uses viem's hashMessage).
 */
export function eip191Hash(message: string): Hex | undefined {
  if (!nativeKeccak) return undefined;
  const bytes = Buffer.from(message, 'utf8');
  const hash = createHash('keccak-256').update(`\x19Ethereum Signed Message:\n${bytes.length}`).update(bytes);
  return `0x${hash.digest('hex')}`;
}

/**
 * EIP-191 `personal_sign` with the key: libsecp256k1 (and OpenSSL's keccak) where available, else the viem
 * account. Used by the event loop and the signing thread alike.
 */
export function eip191Signer(privateKey: Hex, account: LocalAccount): (message: string) => Promise<Hex> {
  const signHash = hashSigner(privateKey);
  return async (message) =>
    signHash?.(eip191Hash(message) ?? viem().hashMessage(message)) ?? account.signMessage({ message });
}
