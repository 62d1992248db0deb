/**
 * The job lifecycle against a hostile or broken Venice (our own node:http server): every bad answer is a typed
 * error, polling is bounded, nothing is refunded that Venice did not fail, and a job that could not be finished
 * stays recorded so it can be resumed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AuthError,
  createBudget,
  createVeniceJobs,
  createWallet,
  HttpError,
  JobFailedError,
  PaymentRequiredError,
  ProtocolError,
} from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Handler = (res: ServerResponse, body: string) => void;
let server: Server;
let base: string;
let queue: Handler;
let retrieve: Handler;
let retrieves = 0;

const json = (status: number, body: unknown) => (res: ServerResponse) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const path = req.url ?? '';
      if (path.startsWith('/api/v1/models')) return json(200, { data: [] })(res);
      if (path === '/api/v1/video/quote') return json(200, { quote: 0.1 })(res);
      if (path === '/api/v1/video/queue') return queue(res, body);
      if (path === '/api/v1/video/retrieve') {
        retrieves++;
        return retrieve(res, body);
      }
      if (path === '/api/v1/video/complete') return json(200, { success: true })(res);
      json(404, { error: 'Not found' })(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const JOB = { model: 'm', prompt: 'p', duration: '5s' };
const queued = json(200, { model: 'm', queue_id: 'q-1' });

function setup(options: { maxPolls?: number; maxPollErrors?: number } = {}) {
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: base });
  const budget = createBudget({ limits: { dailyUsd: 1 } });
  const slept: number[] = [];
  const jobs = createVeniceJobs({
    fetch: createX402Fetch({ wallet, budget, maxRetries: 0 }), // the lifecycle's own bounds are under test
    budget,
    baseURL: base,
    sleep: async (ms) => {
      slept.push(ms);
    },
    ...options,
  });
  retrieves = 0;
  return { budget, jobs, slept };
}

describe('a hostile or broken Venice', () => {
  for (const [name, answer] of [
    ['no queue_id', json(200, { model: 'm' })],
    ['a queue_id that is not a string', json(200, { queue_id: 42 })],
    ['a queue_id of 500 characters', json(200, { queue_id: 'x'.repeat(500) })],
    ['a download_url that is not http(s)', json(200, { queue_id: 'q', download_url: 'javascript:alert(1)' })],
    ['a download_url that is not a URL', json(200, { queue_id: 'q', download_url: 'not a url' })],
  ] as [string, Handler][]) {
    it(`a queue answer with ${name} is a ProtocolError`, async () => {
      const { jobs } = setup();
      queue = answer;
      await expect(jobs.queue('video', JOB)).rejects.toBeInstanceOf(ProtocolError);
      expect(await jobs.pending()).toEqual([]);
    });
  }

  it('a refused queue is the paid fetch’s typed error with Venice’s reason, and nothing is recorded', async () => {
    const { jobs } = setup();
    queue = json(402, { error: 'Insufficient USD or Diem balance' });
    const error = await jobs.queue('video', JOB).catch((e) => e);
    expect(error).toBeInstanceOf(PaymentRequiredError);
    expect(error.message).toMatch(/Insufficient/);
    expect(await jobs.pending()).toEqual([]);
  });

  it('polls back off ×1.5 to 15 s and give up after maxPolls; the job stays pending', async () => {
    const { jobs, slept } = setup({ maxPolls: 8 });
    queue = queued;
    retrieve = json(200, { status: 'PROCESSING' });
    const error = await jobs.run('video', JOB).catch((e) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error.message).toMatch(/8 polls/);
    expect(slept).toEqual([2000, 3000, 4500, 6750, 10125, 15000, 15000, 15000]);
    expect(await jobs.pending()).toMatchObject([{ id: 'q-1', state: 'queued' }]);
  });

  it('passing server errors are retried a bounded number of times, never refunded', async () => {
    const { budget, jobs } = setup({ maxPollErrors: 3 });
    queue = queued;
    retrieve = json(503, { error: 'busy' });
    await expect(jobs.run('video', JOB)).rejects.toBeInstanceOf(HttpError);
    expect(retrieves).toBe(3);
    expect((await budget.report()).totalMicros).toBe(100_000n);
    expect(await jobs.pending()).toHaveLength(1);
  });

  it('a refusal to poll (401) ends the wait at once with an AuthError, not a failure: nothing is refunded', async () => {
    const { budget, jobs } = setup();
    queue = queued;
    retrieve = json(401, { error: 'Authentication failed' });
    const error = await jobs.run('video', JOB).catch((e) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(retrieves).toBeLessThanOrEqual(2); // the paid fetch re-signs once
    expect((await budget.report()).totalMicros).toBe(100_000n);
    expect(await jobs.pending()).toHaveLength(1);
  });

  it('a failure verdict (500 INFERENCE_FAILED) refunds the job once', async () => {
    const { budget, jobs } = setup();
    queue = queued;
    retrieve = json(500, { error: 'Generation failed at the provider', code: 'INFERENCE_FAILED' });
    const error = await jobs.run('video', JOB).catch((e) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    expect(error.refundedUsd).toBe(0.1);
    expect((await budget.report()).totalMicros).toBe(0n);
  });

  it('COMPLETED without media and without a download_url is a ProtocolError', async () => {
    const { jobs } = setup();
    queue = queued;
    retrieve = json(200, { status: 'COMPLETED' });
    await expect(jobs.run('video', JOB)).rejects.toBeInstanceOf(ProtocolError);
  });
});
