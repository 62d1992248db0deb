/**
 * What one Sign-In-With-X header costs the signing thread, step by step, on this Node line: the same functions the
 * thread calls (sign-in-message.ts, hash-signer.ts), each timed alone in one process as CPU time per header
 * (process.cpuUsage: this process runs nothing else), over several rounds (min–max of the rounds' means).
 * Run: node --import tsx bench/sign-steps.ts [rounds] — under each Node line to compare them.
 */
import { createRequire } from 'node:module';
import { hashMessage } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createSiweMessage } from 'viem/siwe';
import { eip191Hash, eip191Signer, hashSigner } from '../packages/core/src/hash-signer.js';
import { keccakImplementation } from '../packages/core/src/keccak.js';
import { secp256k1, secp256k1Build } from '../packages/core/src/secp256k1.js';
import {
  buildSignInHeader,
  nonceSource,
  type SignInRequest,
  signInMessage,
} from '../packages/core/src/sign-in-message.js';

const ROUNDS = Number(process.argv[2] ?? 5);
const N = Number(process.env.N ?? 2000);
const key = generatePrivateKey();
const account = privateKeyToAccount(key);
const request: SignInRequest = {
  chainId: 8453,
  domain: 'api.venice.ai',
  uri: 'https://api.venice.ai',
  statement: 'Sign in to Venice AI',
  ttlSeconds: 300,
};
const nonce = nonceSource();
const message = (at: number) =>
  createSiweMessage({
    address: account.address,
    chainId: request.chainId,
    domain: request.domain,
    uri: request.uri,
    version: '1',
    nonce: nonce(),
    issuedAt: new Date(at),
    expirationTime: new Date(at + request.ttlSeconds * 1000),
    statement: request.statement,
  });
const sample = message(Date.now());
const hash = hashMessage(sample);
const signNative = hashSigner(key, secp256k1Build('native'));
const signWasm = hashSigner(key, secp256k1Build('wasm'));
const signature = await account.signMessage({ message: sample });
const sign = eip191Signer(key, () => account);
// @noble/hashes (core's keccak before on Node 20/22) is viem's dependency, not the bench's.
const fromViem = createRequire(createRequire(import.meta.url).resolve('viem'));
const { keccak_256 } = fromViem('@noble/hashes/sha3') as { keccak_256(data: Uint8Array): Uint8Array };
const keccakName = keccakImplementation() === 'openssl' ? 'OpenSSL' : 'js-sha3';
const prefixed = Buffer.from(`\x19Ethereum Signed Message:\n${Buffer.byteLength(sample)}${sample}`);

const step = (name: string, run: () => unknown): [string, () => unknown] => [name, run];
const steps: [string, () => unknown][] = [
  ['message: `createSiweMessage` (viem/siwe, before)', () => message(1_700_000_000_000)],
  [
    'message: template filled in (`signInMessage`)',
    () => signInMessage(account.address, request, nonce(), 1_700_000_000_000),
  ],
  ["hash: EIP-191 keccak-256, viem's `hashMessage` (before, JS)", () => hashMessage(sample)],
  ['hash: EIP-191 keccak-256, @noble/hashes (before, on Node 20/22)', () => keccak_256(prefixed)],
  [`hash: EIP-191 keccak-256, \`eip191Hash\` (${keccakName})`, () => eip191Hash(sample)],
  ...(signNative ? [step('signature: libsecp256k1, native (`secp256k1`, N-API)', () => signNative(hash))] : []),
  ...(signWasm ? [step('signature: libsecp256k1, WASM (`tiny-secp256k1`)', () => signWasm(hash))] : []),
  [
    'encoding: JSON + base64',
    () =>
      Buffer.from(
        JSON.stringify({ address: account.address, message: sample, signature, timestamp: 1, chainId: 8453 }),
        'utf8',
      ).toString('base64'),
  ],
];
const asyncSteps: [string, () => Promise<unknown>][] = [
  [
    "signature: viem's JS curve (`account.signMessage`, fallback without tiny-secp256k1)",
    () => account.signMessage({ message: sample }),
  ],
  [
    `whole header: \`buildSignInHeader\` (what the thread runs per header; signature: ${secp256k1()?.name ?? 'viem'})`,
    () => buildSignInHeader(account.address, sign, request, nonce(), Date.now()),
  ],
];

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const results = new Map<string, number[]>();
const record = (name: string, us: number) => results.set(name, [...(results.get(name) ?? []), us]);
for (let r = 0; r <= ROUNDS; r++) {
  for (const [name, run] of steps) {
    const c = cpuUs();
    for (let i = 0; i < N; i++) run();
    if (r > 0) record(name, (cpuUs() - c) / N); // round 0 warms up
  }
  for (const [name, run] of asyncSteps) {
    const n = Math.ceil(N / 4);
    const c = cpuUs();
    for (let i = 0; i < n; i++) await run();
    if (r > 0) record(name, (cpuUs() - c) / n);
  }
}
console.log(
  `Node ${process.version}; ${ROUNDS} rounds of ${N} headers (viem's curve: ${Math.ceil(N / 4)}); CPU µs per header, min–max of the rounds\n`,
);
console.log('| step | CPU per header |');
console.log('|---|---|');
for (const [name, xs] of results) {
  const s = [...xs].sort((a, b) => a - b);
  console.log(`| ${name} | ${s[0]!.toFixed(1)}–${s.at(-1)!.toFixed(1)} µs |`);
}
