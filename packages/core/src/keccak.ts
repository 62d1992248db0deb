import { createHash, getHashes } from 'node:crypto';
import { createRequire } from 'node:module';
import { lazy } from './lazy.js';

const require = createRequire(import.meta.url);
const nativeKeccak = getHashes().includes('keccak-256');
/** @noble/hashes' keccak (viem's own, so installed anyway): a few ms to load where all of viem takes ~150. */
const noble = lazy(() => (require('@noble/hashes/sha3') as typeof import('@noble/hashes/sha3')).keccak_256);

/**
 * Keccak-256 of the parts, concatenated, as 64 hex digits: OpenSSL's where Node has it (24 and later), else
 * @noble/hashes — never the whole of viem, which the first signature would otherwise load.
 */
export function keccak256Hex(...parts: (string | Uint8Array)[]): string {
  if (nativeKeccak) {
    const hash = createHash('keccak-256');
    for (const part of parts) hash.update(part);
    return hash.digest('hex');
  }
  const hash = noble().create();
  for (const part of parts) hash.update(typeof part === 'string' ? Buffer.from(part, 'utf8') : part);
  const digest = hash.digest();
  return Buffer.from(digest.buffer, digest.byteOffset, digest.length).toString('hex');
}
