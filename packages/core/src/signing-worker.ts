import { Worker } from 'node:worker_threads';
import type { Address, Hex } from 'viem';
import { createHeaderRing, type HeaderRing, ringCounters } from './header-ring.js';
import type { SignInRequest } from './sign-in-message.js';
import type { FromThread, SigningThreadData, ToThread } from './signing-thread.js';
import { createStopFlags, haltNativeCalls, haltOnExit } from './thread-stop.js';

export type { SignInRequest } from './sign-in-message.js';

/** A thread nobody used for this long (up to twice as long) stops; the next use starts another. */
export const SIGNING_THREAD_IDLE_MS = 30_000;

export interface WorkerSigner {
  /** Signs an EIP-191 message off the main thread. Rejects when the thread is unavailable or still starting. */
  signMessage(message: string): Promise<Hex>;
  /**
   * `count` finished Sign-In-With-X header values issued at `at` (ms), built, signed and encoded in the thread:
   * the event loop only receives strings (one message for the batch). Rejects like `signMessage`.
   */
  signInHeaders(request: SignInRequest, count: number, at: number): Promise<string[]>;
  /**
   * A header signed ahead by the thread, taken from shared memory without a message; undefined when none is
   * ready (the thread then signs up to `target` ahead for these parameters, as many as the pace of calls uses).
   * Headers older than `maxAgeMs` are dropped.
   */
  takeSignInHeader(request: SignInRequest, options: { target: number; maxAgeMs: number }): string | undefined;
  /** Resolves once the thread can sign (starting it); rejects when it cannot start. */
  ready(): Promise<void>;
  /** Stops the thread now. Using the signer again starts a new one. */
  close(): Promise<void>;
}

/** Signing threads running in this process (bookkeeping for tests and diagnostics, not exported by the package). */
const running = new Set<Worker>();
export const signingThreadCount = () => running.size;

interface Thread {
  worker: Worker;
  ring: HeaderRing;
  /** Its stop handshake: halted before every termination (`thread-stop.ts`). */
  stopFlags: SharedArrayBuffer;
  ready: boolean;
  /** Stopped on purpose (idle, close), not a failure to start. */
  stopped: boolean;
  whenReady: Promise<void>;
  exited: Promise<void>;
}

/**
 * Secp256k1 signing in a worker thread, so the curve math of every Sign-In-With-X (0.13–0.43 ms) stays off a busy
 * agent's event loop, which takes finished headers from shared memory. The thread starts on first use, holds a
 * reference only while a signature is pending (it never keeps a process alive), stops after `idleMs` without use,
 * and is restarted after a crash or an idle stop. A thread that cannot start at all (a bundler left its file
 * behind) is not tried again: callers sign on the event loop. The key reaches the thread once, as workerData.
 */
export function createWorkerSigner(
  privateKey: Hex,
  options: { idleMs?: number; address?: Address } = {},
): WorkerSigner {
  const idleMs = options.idleMs ?? SIGNING_THREAD_IDLE_MS;
  let thread: Thread | undefined;
  let unavailable = false;
  let wanted: { request: SignInRequest; key: string; gen: number } | undefined;
  let gen = 0;
  let seq = 0;
  let used = false;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const pending = new Map<number, { resolve: (s: any) => void; reject: (e: Error) => void }>();

  const failAll = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };

  function start(): Thread | undefined {
    wanted = undefined;
    const current = launch(privateKey, options.address, {
      answer(answer) {
        const p = pending.get(answer.id);
        if (!p) return;
        pending.delete(answer.id);
        if (pending.size === 0) current?.worker.unref();
        if ('error' in answer) p.reject(new Error(`Signing thread refused: ${answer.error}`));
        else p.resolve('signature' in answer ? answer.signature : answer.headers);
      },
      gone(ended, why) {
        if (!ended.ready && !ended.stopped) unavailable = true; // it never started: sign on the event loop from now on
        if (thread !== ended) return;
        thread = undefined; // the next signature starts a fresh thread
        failAll(new Error(`Signing thread ${why}`));
      },
    });
    if (!current)
      unavailable = true; // this runtime refuses threads: sign on the event loop
    else scheduleIdleCheck();
    return current;
  }

  function use(): Thread | undefined {
    used = true;
    if (unavailable) return undefined;
    thread ??= start();
    return thread;
  }

  function scheduleIdleCheck() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (!thread) return;
      if (used || pending.size > 0) {
        used = false;
        return scheduleIdleCheck();
      }
      void stop();
    }, idleMs);
    idleTimer.unref?.();
  }

  async function stop() {
    clearTimeout(idleTimer);
    const current = thread;
    thread = undefined;
    if (!current) return;
    current.stopped = true;
    failAll(new Error('Signing thread stopped')); // its callers sign on the event loop instead
    haltNativeCalls(current.stopFlags);
    await current.worker.terminate();
    await current.exited;
  }

  function ask<T>(request: { message: string } | { signIn: SignInRequest; count: number; at: number }): Promise<T> {
    const current = use();
    if (!current?.ready) return Promise.reject(new Error('Signing thread unavailable'));
    return new Promise<T>((resolve, reject) => {
      const id = ++seq;
      pending.set(id, { resolve, reject });
      current.worker.ref(); // a pending signature keeps the process alive, as any I/O would
      const message: ToThread = { ...request, id };
      current.worker.postMessage(message);
      current.ring.ring(); // the thread reads its messages only when woken
    });
  }

  return {
    signMessage: (message) => ask<Hex>({ message }),
    signInHeaders(signIn, count, at) {
      ringCounters.onRequest += count;
      return ask<string[]>({ signIn, count, at });
    },
    takeSignInHeader(request, { target, maxAgeMs }) {
      const current = use();
      if (!current) return undefined;
      if (wanted?.request !== request) {
        const key = JSON.stringify(request);
        if (wanted?.key === key) wanted.request = request;
        else {
          wanted = { request, key, gen: ++gen };
          const define: ToThread = { define: { gen, request } };
          current.worker.postMessage(define);
          current.ring.want(gen, target); // and rings
          return undefined;
        }
      }
      return current.ring.take(wanted.gen, maxAgeMs);
    },
    ready() {
      const current = use();
      return current ? current.whenReady : Promise.reject(new Error('Signing thread unavailable'));
    },
    close: stop,
  };
}

/**
 * Starts one thread with its own ring and wires its events: `answer` gets its replies to requests, `gone` its end.
 * Undefined when the runtime refuses to start a thread.
 */
function launch(
  privateKey: Hex,
  address: Address | undefined,
  on: { answer(answer: Exclude<FromThread, { ready: true }>): void; gone(thread: Thread, why: string): void },
): Thread | undefined {
  const ring = createHeaderRing();
  const stopFlags = createStopFlags();
  const signingThread: SigningThreadData = { key: privateKey, address, ring: ring.layout, stop: stopFlags };
  let worker: Worker;
  try {
    worker = new Worker(program.entry, {
      eval: program.eval,
      workerData: { signingThread },
      execArgv: program.execArgv,
      stdout: false,
      stderr: true,
    });
  } catch {
    return undefined;
  }
  running.add(worker);
  const forgetOnExit = haltOnExit(stopFlags);
  let ready!: () => void;
  let failed!: (e: Error) => void;
  const thread: Thread = {
    worker,
    ring,
    stopFlags,
    ready: false,
    stopped: false,
    whenReady: new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    }),
    exited: new Promise<void>((resolve) => worker.once('exit', () => resolve())),
  };
  thread.whenReady.catch(() => {});
  worker.on('message', (answer: FromThread) => {
    if (!('ready' in answer)) return on.answer(answer);
    thread.ready = true;
    ready();
  });
  const gone = (why: string) => {
    failed(new Error(`Signing thread ${why}`));
    on.gone(thread, why);
  };
  worker.on('error', () => gone('failed'));
  worker.once('exit', () => {
    running.delete(worker);
    forgetOnExit();
    gone('exited');
  });
  worker.unref(); // after the listeners: adding a 'message' listener refs the worker again
  return thread;
}

/**
 * Where the thread's program is: next to this module, built (`dist/signing-thread.js`, ESM, loaded the same from
 * the ESM and the CommonJS build) or as source (`src/signing-thread.ts`: tests, `--conditions=venice-x402-source`).
 * Node 20 applies no loader to a worker's entry, so from source the thread registers tsx before importing it.
 */
const program = ((): { entry: string | URL; eval: boolean; execArgv?: string[] } => {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './signing-thread.ts' : './signing-thread.js', import.meta.url);
  const execArgv = threadExecArgv();
  if (!fromSource) return { entry: url, eval: false, execArgv };
  try {
    const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
    const entry = `import(${tsx}).then((tsx) => (tsx.register(), import(${JSON.stringify(url.href)})))`;
    return { entry, eval: true, execArgv };
  } catch {
    return { entry: url, eval: false, execArgv }; // no tsx: the thread cannot start; signing stays on the event loop
  }
})();

/**
 * The process's options for the thread, without those that describe the process's own input: a thread inheriting
 * `--input-type` (as `node --input-type=module -e …` sets) refuses to start. Undefined (inherit all) otherwise.
 */
export function threadExecArgv(argv: readonly string[] = process.execArgv): string[] | undefined {
  if (!argv.some((arg) => arg.startsWith('--input-type'))) return undefined;
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (['--input-type', '-e', '--eval', '-p', '--print'].includes(arg))
      i++; // and its value
    else if (!/^--(input-type|eval|print)=/.test(arg)) kept.push(arg);
  }
  return kept;
}
