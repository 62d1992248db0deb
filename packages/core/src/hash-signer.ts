import type { Address, Hex, LocalAccount } from 'viem';
import { checksumAddress } from './address.js';
import { keccak256Hex } from './keccak.js';
import { type Secp256k1, secp256k1 } from './secp256k1.js';

/**
 * Signs 32-byte hashes (an EIP-191 message hash, an EIP-712 typed-data hash) with libsecp256k1 (`secp256k1()`:
 * native, else WASM): the same bytes as viem's `sign` (RFC 6979 nonce, low s) for ≈ 4–12× less CPU (≈ 35 µs
 * native, ≈ 120 µs WASM, ≈ 420 µs viem), which is most of a wallet call's cost. Undefined when neither is
 * installed. Answers undefined for a signature a `v` byte cannot express (recovery id ≥ 2, odds ~2⁻¹²⁸): the
 * caller then signs with viem; likewise for a hash the build cannot sign as RFC 6979 does. `secp` chooses another build (tests, benchmarks).
 */
export function hashSigner(
  privateKey: Hex,
  secp: Secp256k1 | undefined = secp256k1(),
): ((hash: Hex) => Hex | undefined) | undefined {
  if (!secp) return undefined;
  const key = Buffer.from(privateKey.slice(2), 'hex');
  return (hash) => {
    const signed = secp.sign(Buffer.from(hash.slice(2), 'hex'), key);
    if (!signed || signed.recoveryId > 1) return undefined;
    const { signature, recoveryId } = signed;
    return `0x${Buffer.from(signature).toString('hex')}${(27 + recoveryId).toString(16)}` as Hex;
  };
}

/**
 * The address of a private key computed by libsecp256k1 (checksummed, as viem's `privateKeyToAccount` gives it),
 * so a wallet need not load viem's accounts to know its address. Undefined when the library is missing; throws
 * for a scalar that is not a valid key.
 */
export function addressOfKey(privateKey: Hex, secp: Secp256k1 | undefined = secp256k1()): Address | undefined {
  if (!secp) return undefined;
  const point = secp.publicKey(Buffer.from(privateKey.slice(2), 'hex'));
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
