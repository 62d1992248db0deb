import { spawnSync } from 'node:child_process';
import { inspect } from 'node:util';
import { verifyMessage } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { expect, it } from 'vitest';
import { createWallet } from '../src/index.js';
import { createWorkerSigner } from '../src/signing-worker.js';

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
  const first = await thread.signMessage('one');
  await thread.close(); // the thread is gone
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
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: new URL('..', import.meta.url).pathname,
    timeout: 20_000,
    encoding: 'utf8',
  });
  expect(r.stdout.trim()).toBe('signed');
  expect(r.status).toBe(0); // exited by itself, not killed by the timeout
});
