import { getHashes } from 'node:crypto';
import { keccak256, toBytes, toHex } from 'viem';
import { expect, it } from 'vitest';
import { keccak256Hex, keccakImplementation, loadKeccak } from '../src/keccak.js';

const parts: (string | Uint8Array)[][] = [
  [''],
  ['abc'],
  ['\x19Ethereum Signed Message:\n14', 'Sign in ✓ 日本'],
  ['x'.repeat(135), 'y'.repeat(1), new Uint8Array(0)],
  ['x'.repeat(136)],
  [new Uint8Array(1000).map((_, i) => i), 'z'.repeat(700)],
];
const expected = (p: (string | Uint8Array)[]) =>
  keccak256(Buffer.concat(p.map((x) => (typeof x === 'string' ? toBytes(x) : x)))).slice(2);

it('Keccak-256 is native or WebAssembly once loaded (never @noble/hashes, ≈ 15× slower, on Node 20/22)', async () => {
  await loadKeccak();
  expect(keccakImplementation()).toBe(getHashes().includes('keccak-256') ? 'openssl' : 'wasm');
});

it('every implementation hashes what viem hashes: before and after loading, across block boundaries', async () => {
  for (const p of parts) expect(keccak256Hex(...p)).toBe(expected(p));
  await loadKeccak();
  for (const p of parts) expect(keccak256Hex(...p)).toBe(expected(p));
  for (let i = 0; i < 300; i++) {
    const message = `${toHex(i)} ${'é'.repeat(i)}`;
    expect(keccak256Hex(message)).toBe(expected([message]));
  }
});
