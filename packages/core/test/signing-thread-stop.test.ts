import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { createStopFlags, haltNativeCalls, stopGuard } from '../src/thread-stop.js';

/**
 * secp256k1@5 (node-addon-api 5) aborts the whole process when a thread is terminated inside one of its calls
 * (`terminate called after throwing an instance of 'Napi::Error'`, exit 134). Each child keeps its signing thread
 * inside libsecp256k1 and ends it at a random moment (test/workers/signing-exit.ts).
 */
const fixture = new URL('./workers/signing-exit.ts', import.meta.url).pathname;

interface Ended {
  args: string[];
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Ended> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], {
      cwd: new URL('..', import.meta.url).pathname,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status, signal) => resolve({ args, status, signal, stdout, stderr }));
  });
}

/** Runs every job, `lanes` children at a time; the ones that did not end cleanly. */
async function failures(jobs: string[][], lanes = 3) {
  const bad: Ended[] = [];
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const ended = await run(jobs[next++]!);
      const native = ended.stdout.split('\n')[0] === 'native'; // CI has the binding: without it this proves nothing
      if (ended.status !== 0 || !native || ended.stderr.includes('terminate called')) bad.push(ended);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return bad.map(({ args, status, signal, stdout, stderr }) => ({
    args,
    status,
    signal,
    stdout,
    stderr: stderr.slice(0, 300),
  }));
}

const randomMs = () => String(Math.floor(Math.random() * 30));

it('a process that exits (process.exit or its natural end) while its thread signs never aborts', async () => {
  const jobs = [
    ...Array.from({ length: 40 }, () => ['exit', randomMs()]),
    ...Array.from({ length: 8 }, () => ['end', randomMs()]),
  ];
  expect(await failures(jobs)).toEqual([]);
}, 300_000);

it('closing a wallet while its thread signs, and the idle stop, never abort', async () => {
  const bad = await failures(
    [
      ['close', '40'],
      ['idle', '40'],
      ['close', '40'],
    ],
    3,
  );
  expect(bad).toEqual([]);
}, 300_000);

it('halting never hangs on a call that does not end, and a guard runs calls until halted', () => {
  const buffer = createStopFlags();
  const flags = new Int32Array(buffer);
  expect(stopGuard(buffer)(() => 42)).toBe(42);
  expect(Array.from(flags)).toEqual([0, 0]); // not busy after the call: an exit does not wait at all
  Atomics.store(flags, 1, 1); // a native call that never returns
  haltNativeCalls(buffer, 20);
  expect(Atomics.load(flags, 0)).toBe(1);
});
