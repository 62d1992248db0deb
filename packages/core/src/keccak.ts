import { createHash, getHashes } from 'node:crypto';
import { createRequire } from 'node:module';
import { lazy } from './lazy.js';

const require = createRequire(import.meta.url);
const nativeKeccak = getHashes().includes('keccak-256');
/**
 * js-sha3's keccak (84 kB, no dependencies) where OpenSSL has none (Node 20/22): ≈ 6 µs per Sign-In-With-X message
 * against ≈ 20 µs for @noble/hashes (viem's); loads in a millisecond, where all of viem takes ~150.
 */
const jsSha3 = lazy(() => (require('js-sha3') as typeof import('js-sha3')).keccak256);

/** Which Keccak-256 `keccak256Hex` runs on this Node (tests, benchmarks). */
export const keccakImplementation = (): 'openssl' | 'js-sha3' => (nativeKeccak ? 'openssl' : 'js-sha3');

/** Keccak-256 of the parts, concatenated, as 64 hex digits: OpenSSL's where Node has it (24 and later), else js-sha3. */
export function keccak256Hex(...parts: (string | Uint8Array)[]): string {
  if (nativeKeccak) {
    const hash = createHash('keccak-256');
    for (const part of parts) hash.update(part);
    return hash.digest('hex');
  }
  const hash = jsSha3().create();
  // Bytes, not strings: js-sha3 0.9 encodes a multi-byte character that straddles a 136-byte block wrongly.
  for (const part of parts) hash.update(typeof part === 'string' ? Buffer.from(part, 'utf8') : part);
  return hash.hex();
}
