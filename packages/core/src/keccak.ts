import { createHash, getHashes } from 'node:crypto';
import { createRequire } from 'node:module';
import { lazy } from './lazy.js';

const require = createRequire(import.meta.url);
const nativeKeccak = getHashes().includes('keccak-256');
/** @noble/hashes' keccak (viem's own, so installed anyway): a few ms to load where all of viem takes ~150. */
const noble = lazy(() => (require('@noble/hashes/sha3') as typeof import('@noble/hashes/sha3')).keccak_256);

interface WasmKeccak {
  init(): unknown;
  update(data: string | Uint8Array): unknown;
  digest(format: 'hex'): string;
}
/** hash-wasm's keccak module alone (11 kB): its package entry would load every hash it has. */
const HASH_WASM_KECCAK = 'hash-wasm/dist/keccak.umd.min.js';
let wasm: WasmKeccak | undefined;
let loading: Promise<void> | undefined;

/**
 * Starts hash-wasm's keccak (≈ 1.3 µs per Sign-In-With-X message against ≈ 20 µs for @noble/hashes on Node 20/22,
 * where OpenSSL has no Keccak-256) and resolves once it is ready, or failed to load (@noble/hashes stays). Its
 * WebAssembly compiles asynchronously: the signing thread awaits this before it signs; elsewhere the first hashes
 * take @noble/hashes meanwhile. Nothing to do where Node has OpenSSL's Keccak-256 (24 and later).
 */
export function loadKeccak(): Promise<void> {
  if (nativeKeccak) return Promise.resolve();
  loading ??= (async () => {
    try {
      const module = require(HASH_WASM_KECCAK) as { createKeccak(bits: 256): Promise<WasmKeccak> };
      wasm = await module.createKeccak(256);
    } catch {
      // Not installed, or bundled away: @noble/hashes it is.
    }
  })();
  return loading;
}

/** Which Keccak-256 `keccak256Hex` runs now (tests, benchmarks). */
export const keccakImplementation = (): 'openssl' | 'wasm' | 'noble' =>
  nativeKeccak ? 'openssl' : wasm ? 'wasm' : 'noble';

/**
 * Keccak-256 of the parts, concatenated, as 64 hex digits: OpenSSL's where Node has it (24 and later), else
 * hash-wasm's once loaded (`loadKeccak`), else @noble/hashes — never the whole of viem, which the first signature
 * would otherwise load.
 */
export function keccak256Hex(...parts: (string | Uint8Array)[]): string {
  if (nativeKeccak) {
    const hash = createHash('keccak-256');
    for (const part of parts) hash.update(part);
    return hash.digest('hex');
  }
  if (wasm) {
    wasm.init();
    for (const part of parts) wasm.update(part);
    return wasm.digest('hex');
  }
  void loadKeccak();
  const hash = noble().create();
  for (const part of parts) hash.update(typeof part === 'string' ? Buffer.from(part, 'utf8') : part);
  const digest = hash.digest();
  return Buffer.from(digest.buffer, digest.byteOffset, digest.length).toString('hex');
}
