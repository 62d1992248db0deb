import { randomBytes } from 'node:crypto';
import { type Hex, keccak256, serializeSignature, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount, sign } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { addressOfKey, hashSigner } from '../src/hash-signer.js';
import { type Secp256k1, secp256k1, secp256k1Build } from '../src/secp256k1.js';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const keyHex = (k: bigint) => `0x${k.toString(16).padStart(64, '0')}` as Hex;
const builds = (['native', 'wasm'] as const).map((name) => [name, secp256k1Build(name)] as const);

describe('libsecp256k1 builds', () => {
  it('the native binding (optional dependency `secp256k1`, installed here) is the one that signs', () => {
    expect(secp256k1Build('native')).toBeDefined();
    expect(secp256k1()?.name).toBe('native');
  });

  it.each(builds.filter(([, build]) => build))(
    '%s: byte for byte what viem signs (RFC 6979, low s, recovery id) for 300 keys and hashes, or nothing; the same address',
    async (_name, build) => {
      const keys: Hex[] = [keyHex(1n), keyHex(2n), keyHex(N - 1n), keyHex(N / 2n)];
      while (keys.length < 300) keys.push(generatePrivateKey());
      for (const [i, key] of keys.entries()) {
        const hashes: Hex[] = [keccak256(toHex(`message ${i}`)), toHex(randomBytes(32))];
        if (i < 4) hashes.push(keyHex(0n), `0x${'ff'.repeat(32)}`, key);
        const signHash = hashSigner(key, build as Secp256k1)!;
        for (const hash of hashes) {
          const ours = signHash(hash);
          // A build that cannot sign a hash as RFC 6979 does says so (the caller then signs with viem).
          if (ours === undefined) expect(BigInt(hash) >= N).toBe(true);
          else expect(ours).toBe(serializeSignature(await sign({ hash, privateKey: key })));
        }
        expect(addressOfKey(key, build as Secp256k1)).toBe(privateKeyToAccount(key).address);
      }
    },
  );

  it.each(builds.filter(([, build]) => build))('%s: a scalar that is not a key has no public key', (_name, build) => {
    for (const bad of [0n, N, N + 1n, 2n ** 256n - 1n]) {
      expect(build!.publicKey(Buffer.from(keyHex(bad).slice(2), 'hex'))).toBeUndefined();
      expect(() => addressOfKey(keyHex(bad), build)).toThrow('not a valid secp256k1 private key');
    }
  });
});
