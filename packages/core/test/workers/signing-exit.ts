/**
 * A process whose signing thread is signing (natively) when it is ended. argv: <mode> <n>
 * - exit <ms>: signs fresh headers without pause, then calls `process.exit(0)` after <ms>.
 * - end <ms>: takes headers signed ahead for <ms>, then lets the process end by itself while the thread refills.
 * - close <rounds>: signs without pause and `await wallet.close()` at a random moment, <rounds> times.
 * - idle <rounds>: takes headers signed ahead, then stops using the thread until it stops itself, <rounds> times.
 * Prints `native` when libsecp256k1's native binding signs here, and `done` at the end (not for `exit`).
 */
import { generatePrivateKey } from 'viem/accounts';
import { createWallet } from '../../src/index.js';
import { secp256k1 } from '../../src/secp256k1.js';
import { createWorkerSigner, signingThreadCount } from '../../src/signing-worker.js';

const [mode, arg] = process.argv.slice(2);
const n = Number(arg);
console.log(secp256k1()?.name);

const turn = () => new Promise((resolve) => setImmediate(resolve));
const wallet = () => createWallet({ privateKey: generatePrivateKey() }, { baseURL: 'https://api.venice.ai/api/v1' });
const request = {
  chainId: 8453,
  domain: 'api.venice.ai',
  uri: 'https://api.venice.ai',
  statement: 'S',
  ttlSeconds: 300,
};

/** A started thread kept signing big batches of headers (almost all its time inside libsecp256k1) until `until()`. */
async function signHard(until: () => boolean) {
  const thread = createWorkerSigner(generatePrivateKey());
  const alive = setInterval(() => {}, 60_000); // a starting thread holds no reference
  await thread.ready();
  clearInterval(alive);
  const signing = Promise.all(
    Array.from({ length: 2 }, async () => {
      while (!until()) await thread.signInHeaders(request, 200, Date.now()).catch(() => []);
    }),
  );
  return { thread, signing };
}

async function signUntilExit() {
  await signHard(() => false);
  setTimeout(() => process.exit(0), n);
}

async function takeAheadThenEnd() {
  const w = wallet();
  const end = Date.now() + n;
  while (Date.now() < end) {
    await w.signIn();
    await turn();
  }
}

async function closeWhileSigning() {
  for (let i = 0; i < n; i++) {
    let closed = false;
    const { thread, signing } = await signHard(() => closed);
    for (let spin = Math.floor(Math.random() * 40); spin > 0; spin--) await turn();
    closed = true;
    await thread.close();
    await signing;
  }
  await wallet().close();
}

async function stopWhenIdle() {
  for (let i = 0; i < n; i++) {
    const thread = createWorkerSigner(generatePrivateKey(), { idleMs: 1 + (i % 3) });
    let taken = 0;
    while (taken < 4) {
      if (thread.takeSignInHeader(request, { target: 16, maxAgeMs: 60_000 })) taken++;
      await turn();
    }
    // kept real: the idle stop is the thread's own timer (idleMs); nothing to await but its count
    while (signingThreadCount() > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

const modes: Record<string, () => Promise<void>> = {
  exit: signUntilExit,
  end: takeAheadThenEnd,
  close: closeWhileSigning,
  idle: stopWhenIdle,
};
await modes[mode!]!();
if (mode !== 'exit') console.log('done');
