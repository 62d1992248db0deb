/**
 * Video / music jobs attacked as a hostile Venice would (our own node:http servers): queue ids that are reused,
 * media bodies that never end or never stop, one-time download links that redirect into this machine's network.
 * Each break is a typed error, the job stays pending (resumable) and its charge stays counted.
 */
import {
  createBudget,
  createVeniceJobs,
  createWallet,
  HttpError,
  ProtocolError,
  TimeoutError,
  type VeniceJobsOptions,
} from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { generatePrivateKey } from 'viem/accounts';
import { afterEach, describe, expect, it } from 'vitest';
import { type Handler, type Hostile, json, startHostile } from './hostile-server.js';

const servers: Hostile[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function hostile(handler: Handler) {
  const server = await startHostile(handler);
  servers.push(server);
  return server;
}

/** A Venice whose queue answers `queue()` and whose retrieve route is `retrieve`. */
async function venice(queue: () => Record<string, unknown>, retrieve: Handler) {
  return hostile((req, res, seen) => {
    const path = req.url ?? '';
    if (path.startsWith('/api/v1/models')) return json(res, 200, { data: [] });
    if (path === '/api/v1/video/quote') return json(res, 200, { quote: 0.1 });
    if (path === '/api/v1/video/queue') return json(res, 200, { model: 'm', ...queue() });
    if (path === '/api/v1/video/retrieve') return retrieve(req, res, seen);
    if (path === '/api/v1/video/complete') return json(res, 200, { success: true });
    json(res, 404, { error: 'Not found' });
  });
}

function setup(server: Hostile, options: Partial<VeniceJobsOptions> = {}) {
  const base = `${server.url}/api/v1`;
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: base });
  const budget = createBudget({ limits: { dailyUsd: 1 } });
  const fetch = createX402Fetch({ wallet, budget, maxRetries: 0 });
  const jobs = createVeniceJobs({ fetch, budget, baseURL: base, sleep: async () => {}, ...options });
  return { budget, jobs };
}

const JOB = { model: 'm', prompt: 'p', duration: '5s' };

describe('queue ids', () => {
  it('a queue_id another job already has is a ProtocolError; the first record is kept, both charges counted', async () => {
    const server = await venice(
      () => ({ queue_id: 'q-same' }),
      (_req, res) => json(res, 200, { status: 'PROCESSING' }),
    );
    const { jobs, budget } = setup(server);
    const first = await jobs.queue('video', JOB);
    const error = await jobs.queue('video', { ...JOB, prompt: 'another' }).catch((e) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.details.queueId).toBe('q-same');
    expect(await jobs.pending()).toEqual([first]);
    expect((await budget.report()).totalUsd).toBe(0.2);
  });

  it('a queue answer that never ends is refused past 1 MiB, not read into memory; its charge stays counted', async () => {
    const server = await hostile((req, res) => {
      if (req.url?.startsWith('/api/v1/models')) return json(res, 200, { data: [] });
      if (req.url === '/api/v1/video/quote') return json(res, 200, { quote: 0.1 });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"queue_id":"q-endless","padding":"');
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const { jobs, budget } = setup(server);
    const error = await jobs.queue('video', JOB).catch((e) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toMatch(/queue answer is larger than 1048576 bytes/);
    expect((await budget.report()).totalUsd).toBe(0.1);
  });
});

describe('media bodies', () => {
  it('a retrieve body that stops sending is cut after mediaIdleTimeoutMs; the job stays pending', async () => {
    const server = await venice(
      () => ({ queue_id: 'q-stall' }),
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'video/mp4' });
        res.write('first bytes, then nothing');
      },
    );
    const { jobs, budget } = setup(server, { mediaIdleTimeoutMs: 50 });
    const error = await jobs.run('video', JOB).catch((e) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((await jobs.pending()).map((j) => j.id)).toEqual(['q-stall']);
    expect((await budget.report()).totalUsd).toBe(0.1);
  });

  it('a JSON status that stops sending is a failed poll after mediaIdleTimeoutMs: polling ends, the job stays pending', async () => {
    const server = await venice(
      () => ({ queue_id: 'q-status-stall' }),
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"status":');
      },
    );
    const { jobs } = setup(server, { mediaIdleTimeoutMs: 50, maxPollErrors: 3 });
    const error = await jobs.run('video', JOB).catch((e) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error.message).toMatch(/kept failing/);
    expect(server.seen.filter((s) => s.url === '/api/v1/video/retrieve')).toHaveLength(3);
    expect((await jobs.pending()).map((j) => j.id)).toEqual(['q-status-stall']);
  });

  it('a retrieve body that never ends is refused past maxMediaBytes, not read into memory', async () => {
    const server = await venice(
      () => ({ queue_id: 'q-endless' }),
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'video/mp4' });
        const chunk = Buffer.alloc(64 * 1024);
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      },
    );
    const { jobs } = setup(server, { maxMediaBytes: 1024 * 1024 });
    const error = await jobs.run('video', JOB).catch((e) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toMatch(/larger than 1048576 bytes/);
    expect((await jobs.pending()).map((j) => j.id)).toEqual(['q-endless']);
  });

  it('a declared Content-Length above maxMediaBytes is refused before reading', async () => {
    const server = await venice(
      () => ({ queue_id: 'q-big' }),
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(10 * 1024 * 1024) });
        res.write('x');
      },
    );
    const { jobs } = setup(server, { maxMediaBytes: 1024 * 1024 });
    await expect(jobs.run('video', JOB)).rejects.toBeInstanceOf(ProtocolError);
  });

  it('a download link whose body stops sending is cut; the job stays pending', async () => {
    const cdn = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4' });
      res.write('x');
    });
    const server = await venice(
      () => ({ queue_id: 'q-dl-stall', download_url: `${cdn.url}/media.mp4` }),
      (_req, res) => json(res, 200, { status: 'COMPLETED' }),
    );
    const { jobs } = setup(server, { mediaIdleTimeoutMs: 50 });
    await expect(jobs.run('video', JOB)).rejects.toBeInstanceOf(TimeoutError);
    expect((await jobs.pending()).map((j) => j.id)).toEqual(['q-dl-stall']);
  });
});

describe('one-time download links that redirect', () => {
  async function linkRedirectingTo(location: (cdn: Hostile) => string) {
    const cdn = await hostile((req, res) => {
      if (req.url === '/media.mp4') return void res.writeHead(302, { location: location(cdn) }).end();
      res.writeHead(200, { 'content-type': 'video/mp4' }).end('the video');
    });
    const server = await venice(
      () => ({ queue_id: `q-${Math.random()}`, download_url: `${cdn.url}/media.mp4` }),
      (_req, res) => json(res, 200, { status: 'COMPLETED' }),
    );
    return { cdn, ...setup(server) };
  }

  for (const [name, target] of [
    ['cloud metadata (169.254.169.254)', 'http://169.254.169.254/latest/meta-data/iam/'],
    ['a private network address', 'http://10.0.0.1/admin'],
    ['localhost by name', 'http://localhost:1/'],
    ['an IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]:1/'],
  ] as const) {
    it(`a redirect to ${name} is a ProtocolError and is not followed; the job stays pending`, async () => {
      const { jobs } = await linkRedirectingTo(() => target);
      const error = await jobs.run('video', JOB).catch((e) => e);
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error.message).toMatch(/internal address/);
      expect(await jobs.pending()).toHaveLength(1);
    });
  }

  it('a redirect to another internal origin is not followed: it sees nothing', async () => {
    const inside = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4' }).end('secret');
    });
    const { jobs } = await linkRedirectingTo(() => `${inside.url}/secret`);
    await expect(jobs.run('video', JOB)).rejects.toBeInstanceOf(ProtocolError);
    expect(inside.seen).toHaveLength(0);
  });

  it('a redirect within the link’s own origin is followed (the control)', async () => {
    const { jobs } = await linkRedirectingTo((cdn) => `${cdn.url}/moved.mp4`);
    const result = await jobs.run('video', JOB);
    expect(new TextDecoder().decode(result.media.bytes)).toBe('the video');
    expect(result.settled).toBe(true);
  });

  it('a redirect loop ends after 5 hops', async () => {
    const { jobs } = await linkRedirectingTo(() => '/media.mp4');
    const error = await jobs.run('video', JOB).catch((e) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error.message).toMatch(/more than 5 times/);
  });
});
