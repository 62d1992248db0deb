import { getHashes } from 'node:crypto';
import { keccak256, toBytes, toHex } from 'viem';
import { expect, it } from 'vitest';
import { keccak256Hex, keccakImplementation } from '../src/keccak.js';

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

it("Keccak-256 is OpenSSL's where Node has it, else js-sha3 (never @noble/hashes, ≈ 3× slower, on Node 20/22)", () => {
  expect(keccakImplementation()).toBe(getHashes().includes('keccak-256') ? 'openssl' : 'js-sha3');
});

it('hashes what viem hashes, strings as UTF-8, across block boundaries', () => {
  for (const p of parts) expect(keccak256Hex(...p)).toBe(expected(p));
  for (let i = 0; i < 300; i++) {
    const message = `${toHex(i)} ${'é'.repeat(i)}`;
    expect(keccak256Hex(message)).toBe(expected([message]));
  }
});
