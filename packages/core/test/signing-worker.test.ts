import { spawnSync } from 'node:child_process';
import { inspect } from 'node:util';
import { authorizationTypes } from '@x402/evm';
import { verifyMessage } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWallet } from '../src/index.js';
import {
  createWorkerSigner,
  SIGNING_THREAD_IDLE_MS,
  signingThreadCount,
  threadExecArgv,
} from '../src/signing-worker.js';

const verify = async (header: string) => {
  const { message, signature, address } = JSON.parse(Buffer.from(header, 'base64').toString());
  return { valid: await verifyMessage({ address, message, signature }) };
};

it('signs Sign-In-With-X off the main thread: valid, unique, verifiable headers', async () => {
  const key = generatePrivateKey();
  const wallet = createWallet({ privateKey: key }, { baseURL: 'https://api.venice.ai/api/v1' });
  const headers = await Promise.all(Array.from({ length: 20 }, () => wallet.signIn()));
  expect(new Set(headers).size).toBe(20);
  for (const h of headers.slice(0, 3)) {
    const { message, signature, address } = JSON.parse(Buffer.from(h, 'base64').toString());
    expect(address).toBe(privateKeyToAccount(key).address);
    expect(await verifyMessage({ address, message, signature })).toBe(true);
  }
  expect(inspect(wallet)).not.toContain(key.slice(2));
  expect(JSON.stringify(wallet)).not.toContain(key.slice(2));
});

it('starts a fresh thread after one dies, and never leaks the key in its errors', async () => {
  const key = generatePrivateKey();
  const thread = createWorkerSigner(key);
  const account = privateKeyToAccount(key);
  await expect(thread.signMessage('early')).rejects.toThrow(/unavailable/); // still starting: callers sign inline
  await thread.ready();
  const first = await thread.signMessage('one');
  await thread.close(); // the thread is gone
  await thread.ready(); // a new one
  const second = await thread.signMessage('two');
  expect(await verifyMessage({ address: account.address, message: 'one', signature: first })).toBe(true);
  expect(await verifyMessage({ address: account.address, message: 'two', signature: second })).toBe(true);
  await thread.close();
});

it('never keeps a process alive once its signatures are done', () => {
  const script = `
    import { createWallet } from '${new URL('../src/index.ts', import.meta.url).pathname}';
    import { generatePrivateKey } from 'viem/accounts';
    const w = createWallet({ privateKey: generatePrivateKey() });
    console.log((await w.signIn()).length > 100 ? 'signed' : 'bad');
    // The thread runs from source too (and under --input-type, which a thread must not inherit): a header comes
    // back that was signed before it was asked for.
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100)); // kept real: "signed ahead" is itself a matter of time
      const asked = Date.now();
      if (JSON.parse(Buffer.from(await w.signIn(), 'base64')).timestamp < asked - 50) {
        console.log('signed ahead');
        break;
      }
    }
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: new URL('..', import.meta.url).pathname,
    timeout: 20_000,
    encoding: 'utf8',
  });
  expect(r.stdout.trim().split('\n')).toEqual(['signed', 'signed ahead']);
  expect(r.status).toBe(0); // exited by itself, not killed by the timeout
});

const signInRequest = (domain = 'api.venice.ai', statement = 'Sign in to Venice AI') => ({
  chainId: 8453,
  domain,
  uri: `https://${domain}`,
  statement,
  ttlSeconds: 300,
});
const decode = (h: string) => JSON.parse(Buffer.from(h, 'base64').toString());

/** Takes until the thread has filled the ring (or gives up): the first take only asks for headers. */
async function takeReady(
  thread: ReturnType<typeof createWorkerSigner>,
  request: ReturnType<typeof signInRequest>,
  maxAgeMs = 60_000,
) {
  for (let i = 0; i < 200; i++) {
    const value = thread.takeSignInHeader(request, { target: 4, maxAgeMs });
    if (value) return value;
    await new Promise((r) => setTimeout(r, 25)); // kept real: the thread fills the shared ring with no event
  }
  return undefined;
}

it('hands headers signed ahead through shared memory: taken synchronously, valid, unique', async () => {
  const key = generatePrivateKey();
  const thread = createWorkerSigner(key);
  const request = signInRequest();
  expect(thread.takeSignInHeader(request, { target: 4, maxAgeMs: 60_000 })).toBeUndefined(); // asks; none ready yet
  const taken: (string | undefined)[] = [];
  for (let i = 0; i < 4; i++) taken.push(await takeReady(thread, request)); // each as soon as the thread has it
  expect(taken.every((h) => typeof h === 'string')).toBe(true);
  expect(new Set(taken).size).toBe(4);
  const address = privateKeyToAccount(key).address;
  for (const h of taken) {
    const { message, signature } = decode(h!);
    expect(message).toContain('api.venice.ai wants you to sign in');
    expect(await verifyMessage({ address, message, signature })).toBe(true);
  }
  await thread.close();
});

it('never hands out a stale header or one signed for other parameters', async () => {
  const thread = createWorkerSigner(generatePrivateKey());
  const venice = signInRequest();
  expect(await takeReady(thread, venice)).toBeDefined();
  // Kept real (the thread refills its ring in its own time; nothing reaches this thread to await): headers ready.
  await new Promise((r) => setTimeout(r, 200));
  // Everything ready is older than 0 ms: dropped, none returned.
  expect(thread.takeSignInHeader(venice, { target: 4, maxAgeMs: 0 })).toBeUndefined();
  // New parameters (a challenge moved the domain): nothing signed for the old ones comes back.
  const other = signInRequest('sub.venice.ai');
  const next = await takeReady(thread, other);
  expect(decode(next!).message).toMatch(/^sub\.venice\.ai wants you to sign in/);
  for (let i = 0; i < 20; i++) {
    const h = thread.takeSignInHeader(other, { target: 4, maxAgeMs: 60_000 });
    if (h) expect(decode(h).message).toMatch(/^sub\.venice\.ai wants you/);
  }
  await thread.close();
});

it('a header too long to share is signed on request instead; a restarted thread has a fresh ring', async () => {
  const key = generatePrivateKey();
  const thread = createWorkerSigner(key);
  const long = signInRequest('api.venice.ai', 'x'.repeat(5000));
  expect(thread.takeSignInHeader(long, { target: 4, maxAgeMs: 60_000 })).toBeUndefined();
  await new Promise((r) => setTimeout(r, 300)); // kept real: a negative check, time for the thread to share it
  expect(thread.takeSignInHeader(long, { target: 4, maxAgeMs: 60_000 })).toBeUndefined();
  await thread.ready();
  const [signed] = await thread.signInHeaders(long, 1, Date.now());
  expect(decode(signed!).message).toContain('x'.repeat(5000));
  await thread.close(); // the thread is gone: the next take starts a new one with its own ring
  expect(await takeReady(thread, signInRequest())).toBeDefined();
  await thread.close();
});

it('parameters the thread cannot sign leave it running: they are signed on request, where the caller hears why', async () => {
  const thread = createWorkerSigner(generatePrivateKey());
  await thread.ready();
  const threads = signingThreadCount();
  const unsignable = { ...signInRequest(), uri: 'https://api.venice.ai/%zz' }; // a URI viem's SIWE builder refuses
  expect(thread.takeSignInHeader(unsignable, { target: 4, maxAgeMs: 60_000 })).toBeUndefined();
  // Requests are read before the next header is signed: an answer means the thread came through the failure.
  await expect(thread.signMessage('still here')).resolves.toMatch(/^0x[0-9a-f]{130}$/);
  await expect(thread.signInHeaders(unsignable, 1, Date.now())).rejects.toThrow(/uri/i);
  await expect(thread.signMessage('and still')).resolves.toMatch(/^0x[0-9a-f]{130}$/);
  expect(signingThreadCount()).toBe(threads);
  expect(await takeReady(thread, signInRequest())).toBeDefined();
  await thread.close();
});

it('libsecp256k1 signs messages and typed data byte for byte as viem does (RFC 6979, low s)', async () => {
  const { addressOfKey, eip191Hash, hashSigner } = await import('../src/hash-signer.js');
  const { toSigner } = await import('../src/signer.js');
  const { hashMessage } = await import('viem');
  for (let i = 0; i < 40; i++) {
    const key = generatePrivateKey();
    const account = privateKeyToAccount(key);
    expect(hashSigner(key)).toBeDefined(); // libsecp256k1 is installed here: the fast path is what this test checks
    const signer = toSigner({ privateKey: key }); // inline: the event loop's own signatures
    const message = `Sign in ${i} ✓ ${'x'.repeat(i * 7)}\n${Math.random()}`;
    // OpenSSL's keccak where Node has it (24+), else @noble/hashes': the bytes viem hashes.
    expect(eip191Hash(message)).toBe(hashMessage(message));
    // The address from libsecp256k1, checksummed as viem writes it.
    expect(addressOfKey(key)).toBe(account.address);
    expect(signer.address).toBe(account.address);
    expect(await signer.signMessage({ message })).toBe(await account.signMessage({ message }));
    const typed = {
      domain: {
        name: 'USD Coin',
        version: '2',
        chainId: 8453,
        verifyingContract: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
      },
      types: authorizationTypes,
      primaryType: 'TransferWithAuthorization',
      message: {
        from: account.address,
        to: '0x1111111111111111111111111111111111111111',
        value: BigInt(i + 1) * 10_000n,
        validAfter: 0n,
        validBefore: 1_900_000_000n,
        nonce: `0x${String(i).padStart(64, '0')}`,
      },
    } as const;
    expect(await signer.signTypedData(typed)).toBe(await account.signTypedData(typed));
  }
});

describe('wallet signing threads', () => {
  afterEach(() => vi.useRealTimers());

  it("close() and Symbol.asyncDispose stop each wallet's thread: 8 wallets, 8 threads, then none", async () => {
    const before = signingThreadCount();
    const wallets = Array.from({ length: 8 }, () => createWallet({ privateKey: generatePrivateKey() }));
    await Promise.all(wallets.map((w) => w.signIn()));
    expect(signingThreadCount()).toBe(before + 8);
    await Promise.all(wallets.slice(0, 4).map((w) => w.close()));
    await Promise.all(wallets.slice(4).map((w) => w[Symbol.asyncDispose]()));
    expect(signingThreadCount()).toBe(before);
    // Still usable: the next signature starts what it needs again.
    const { valid } = await verify(await wallets[0]!.signIn());
    expect(valid).toBe(true);
    expect(signingThreadCount()).toBe(before + 1);
    await wallets[0]!.close();
    expect(signingThreadCount()).toBe(before);
  });

  it('an idle thread stops by itself and starts again on use', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const before = signingThreadCount();
    const wallet = createWallet({ privateKey: generatePrivateKey() });
    await wallet.signIn();
    expect(signingThreadCount()).toBe(before + 1);
    vi.advanceTimersByTime(SIGNING_THREAD_IDLE_MS); // used since it started: it stays
    expect(signingThreadCount()).toBe(before + 1);
    await wallet.signIn();
    vi.advanceTimersByTime(SIGNING_THREAD_IDLE_MS); // used again: it stays
    expect(signingThreadCount()).toBe(before + 1);
    vi.advanceTimersByTime(SIGNING_THREAD_IDLE_MS); // unused for a whole period: it stops
    await vi.waitFor(() => expect(signingThreadCount()).toBe(before));
    expect((await verify(await wallet.signIn())).valid).toBe(true);
    expect(signingThreadCount()).toBe(before + 1);
    await wallet.close();
  });
});

it("a thread does not inherit the process's own input options (it would refuse to start)", () => {
  expect(threadExecArgv(['--conditions=x', '--import', 'tsx'])).toBeUndefined(); // inherited as they are
  expect(threadExecArgv(['--input-type=module', '--conditions=x', '-e', 'code', '--import', 'tsx'])).toEqual([
    '--conditions=x',
    '--import',
    'tsx',
  ]);
  expect(threadExecArgv(['--input-type', 'module', '--print', 'code', '--enable-source-maps'])).toEqual([
    '--enable-source-maps',
  ]);
});
