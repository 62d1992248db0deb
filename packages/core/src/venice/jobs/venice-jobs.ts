import { readBounded } from '../../bounded-body.js';
import type { ChargeEvent } from '../../budget/budget-types.js';
import type { JobRecord } from '../../budget/store.js';
import { scopeChain } from '../../budget/windows.js';
import { DEFAULT_BASE_URL } from '../../constants.js';
import { ConfigError, HttpError, JobFailedError, NetworkError, ProtocolError, TimeoutError } from '../../errors.js';
import { errorText, joinUrl, jsonOf, sleep as realSleep, send } from '../../http.js';
import { type Micros, microsToUsd } from '../../money.js';
import { fetchJobQuote } from '../job-quote.js';
import { fetchDownload } from './download-link.js';
import { JobBook } from './job-book.js';
import type { JobKind, JobMedia, JobResult, JobWaitOptions, VeniceJobsOptions } from './job-types.js';
import { mediaLabel, readRetrieveAnswer } from './retrieve-answer.js';

export interface VeniceJobs {
  /** What a job would cost (USD), from Venice's free quote route. */
  quote(kind: JobKind, body: Record<string, unknown>): Promise<number>;
  /** Queues a job through the paid fetch (held at, and charged, its quote) and records it in the budget's store. */
  queue(kind: JobKind, body: Record<string, unknown>): Promise<JobRecord>;
  /**
   * Polls a queued job (this process's or another's: a record from `pending()` or its queue id) until it is done,
   * downloads its media, cleans it up (`complete`) and settles it once. A failed job is refunded to the budget
   * once and thrown as JobFailedError.
   */
  wait(job: JobRecord | string, options?: JobWaitOptions): Promise<JobResult>;
  /** `queue` then `wait`. */
  run(kind: JobKind, body: Record<string, unknown>, options?: JobWaitOptions): Promise<JobResult>;
  /** Jobs not settled yet (queued, or delivered but not cleaned up): what a restarted process resumes. */
  pending(): Promise<JobRecord[]>;
}

const MAX_ID = 200;
const QUEUE_ANSWER_BYTES = 1024 * 1024;

/**
 * Venice's video and music jobs as one lifecycle over a paid fetch: quote → queue (the paid fetch holds exactly the
 * quote and charges it under the queue id) → poll `retrieve` with backoff and progress events → download (the
 * one-time `download_url` of private models is kept in the job's record) → `complete` → settled. Records live in
 * the budget's store, so another process can resume a job and settle it exactly once.
 */
export function createVeniceJobs(options: VeniceJobsOptions): VeniceJobs {
  const base = options.baseURL ?? DEFAULT_BASE_URL;
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? realSleep;
  const first = positive(options.pollIntervalMs, 2_000);
  const longest = Math.max(first, positive(options.maxPollIntervalMs, 15_000));
  const maxPolls = positive(options.maxPolls, 720);
  const maxErrors = positive(options.maxPollErrors, 10);
  const media = {
    maxBytes: positive(options.maxMediaBytes, 1024 * 1024 * 1024),
    idleMs: positive(options.mediaIdleTimeoutMs, 120_000),
  };
  const book = new JobBook(options.budget);
  const url = (kind: JobKind, step: string) => joinUrl(base, `${kind}/${step}`);

  async function post(kind: JobKind, step: string, body: unknown, signal?: AbortSignal) {
    return send(options.fetch, url(kind, step), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  }

  async function queue(kind: JobKind, body: Record<string, unknown>): Promise<JobRecord> {
    checkKind(kind);
    const model = body?.model;
    if (typeof model !== 'string' || !model) throw new ConfigError('A job needs a model', { kind });
    // What the job costs comes with its charge; without a budget to report it, ask first (free), so a queued job
    // is always recorded.
    const quoted = options.budget ? undefined : await quoteMicros(kind, body);
    const startedAt = now();
    const charges = new Map<string, ChargeEvent>();
    const stop = options.budget?.on('charge', (event) => {
      if (event.requestId && event.route === `/${kind}/queue`) charges.set(event.requestId, event);
    });
    let answer: unknown;
    let response: Response;
    try {
      response = await post(kind, 'queue', body);
      // A queue answer is a few fields: one that does not end is not read into memory.
      const queueAnswer = { maxBytes: QUEUE_ANSWER_BYTES, idleMs: media.idleMs };
      answer = jsonOf(await readBounded(response, queueAnswer, { what: `The ${kind} queue answer` }));
    } finally {
      stop?.();
    }
    if (!response.ok) {
      throw new HttpError(
        response.status,
        `Venice refused the ${kind} job: ${errorText(answer, `HTTP ${response.status}`)}`,
        {
          route: `/${kind}/queue`,
        },
      );
    }
    const { queueId, downloadUrl } = queued(answer);
    const charge = charges.get(queueId);
    const record: JobRecord = {
      id: queueId,
      kind,
      model,
      quoteMicros: charge?.costMicros ?? quoted ?? (await quoteMicros(kind, body).catch(() => 0n)),
      scopes: charge?.scopes ?? scopeChain(options.scope),
      at: charge?.at ?? startedAt,
      state: 'queued',
      downloadUrl,
      updatedAt: now(),
    };
    if (!(await book.save(record, null)))
      // Another job already has this id: its record is not overwritten, and this charge stays counted.
      throw new ProtocolError('Venice answered a queue_id another job already has: this job was not recorded', {
        queueId,
      });
    return record;
  }

  function quoteMicros(kind: JobKind, body: Record<string, unknown>): Promise<Micros> {
    return fetchJobQuote({
      fetch: options.download ?? fetch,
      url: url(kind, 'quote'),
      body: new TextEncoder().encode(JSON.stringify(body)),
      timeoutMs: 30_000,
    });
  }

  async function resolve(job: JobRecord | string): Promise<JobRecord> {
    const id = typeof job === 'string' ? job : job.id;
    const record = await book.get(id);
    if (record) return record;
    if (typeof job === 'string') throw new ConfigError('No record of this job in the budget store', { queueId: id });
    return job;
  }

  async function waitFor(job: JobRecord | string, opts: JobWaitOptions = {}): Promise<JobResult> {
    let record = await resolve(job);
    if (record.state === 'failed') throw failure(record, 'the job had failed');
    if (record.state === 'completed')
      throw new ConfigError('This job was already delivered and cleaned up', { queueId: record.id });
    let errors = 0;
    for (let polls = 1; polls <= maxPolls; polls++) {
      const answer = await readRetrieveAnswer(
        (await post(record.kind, 'retrieve', { model: record.model, queue_id: record.id }, opts.signal).catch(
          (error) => {
            // A dropped connection or a timeout is worth another poll; anything else (auth, budget) is not.
            if (opts.signal?.aborted || !(error instanceof NetworkError || error instanceof TimeoutError)) throw error;
            return undefined;
          },
        )) ?? new Response(null, { status: 599 }),
        media,
        record.id,
      );
      let next = Math.min(longest, first * 1.5 ** (polls - 1));
      if (answer.kind === 'media') return deliver(record, answer, opts);
      if (answer.kind === 'ready') {
        const media = await download(record, opts.signal);
        if (media) return deliver(record, media, opts);
      } else if (answer.kind === 'failed') {
        record = await refund(record);
        throw failure(record, answer.reason);
      } else if (answer.kind === 'refused') {
        // Gone because another process delivered and cleaned it up meanwhile: settled, not lost.
        const latest = answer.status === 404 ? await book.get(record.id) : undefined;
        if (latest && latest.state !== 'queued')
          throw new ConfigError('This job was settled by another process meanwhile', {
            queueId: record.id,
            state: latest.state,
          });
        throw new HttpError(answer.status, `Polling the ${record.kind} job failed: ${answer.reason}`, {
          queueId: record.id,
        });
      } else if (answer.kind === 'retry') {
        if (++errors >= maxErrors)
          throw new HttpError(answer.status, `Polling the ${record.kind} job kept failing: ${answer.reason}`, {
            queueId: record.id,
          });
      } else {
        errors = 0;
        // Venice says how long such a job usually takes: no need to ask much before that.
        const left =
          answer.averageMs !== undefined && answer.durationMs !== undefined ? answer.averageMs - answer.durationMs : 0;
        if (left > next) next = Math.min(longest, left);
        opts.onProgress?.({
          queueId: record.id,
          model: record.model,
          kind: record.kind,
          status: answer.status,
          polls,
          averageExecutionTimeMs: answer.averageMs,
          executionDurationMs: answer.durationMs,
          nextPollMs: next,
        });
      }
      await wait(next, opts.signal);
    }
    throw new HttpError(504, `The ${record.kind} job did not finish within ${maxPolls} polls: resume it later`, {
      queueId: record.id,
    });
  }

  /** Fetches a private model's media from its one-time link, without credentials; undefined while not ready. */
  async function download(record: JobRecord, signal?: AbortSignal): Promise<JobMedia | undefined> {
    if (!record.downloadUrl)
      throw new ProtocolError('Venice said the job is done but sent no media and the job has no download_url', {
        queueId: record.id,
      });
    const response = await fetchDownload(options.download ?? fetch, record.downloadUrl, record.id, signal);
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new HttpError(response.status, `The job's download link answered ${response.status}`, {
        queueId: record.id,
      });
    }
    const mediaType = (response.headers.get('content-type') ?? 'application/octet-stream').split(';')[0]!.trim();
    return { bytes: await readBounded(response, media, mediaLabel(record.id)), mediaType };
  }

  /** Delivered: settle once (queued → delivered), clean up on Venice, then mark completed. */
  async function deliver(record: JobRecord, media: JobMedia, opts: JobWaitOptions): Promise<JobResult> {
    const settled =
      record.state === 'queued' && (await book.save({ ...record, state: 'delivered', updatedAt: now() }, 'queued'));
    const cleaned = await post(
      record.kind,
      'complete',
      { model: record.model, queue_id: record.id },
      opts.signal,
    ).catch(() => undefined);
    await cleaned?.body?.cancel().catch(() => {});
    if (cleaned?.ok || cleaned?.status === 404)
      await book.save({ ...record, state: 'completed', updatedAt: now() }, 'delivered');
    return {
      queueId: record.id,
      model: record.model,
      kind: record.kind,
      costUsd: microsToUsd(record.quoteMicros),
      media: { bytes: media.bytes, mediaType: media.mediaType },
      downloadUrl: record.downloadUrl,
      settled,
    };
  }

  /** Failed at the provider: Venice refunds the charge; the budget is credited once, and the record says so. */
  async function refund(record: JobRecord): Promise<JobRecord> {
    if (record.state !== 'queued') return record;
    const credited = options.budget?.store.refund
      ? await options.budget.refund({
          requestId: record.id,
          micros: record.quoteMicros,
          scope: record.scopes,
          model: record.model,
          at: record.at,
        })
      : 0n;
    const failed: JobRecord = { ...record, state: 'failed', refundedMicros: credited, updatedAt: now() };
    if (await book.save(failed, 'queued')) return failed;
    return (await book.get(record.id)) ?? failed;
  }

  return {
    quote: async (kind, body) => {
      checkKind(kind);
      return microsToUsd(await quoteMicros(kind, body));
    },
    queue,
    wait: waitFor,
    run: async (kind, body, opts) => waitFor(await queue(kind, body), opts),
    pending: async () => (await book.all()).filter((j) => j.state === 'queued' || j.state === 'delivered'),
  };
}

function failure(record: JobRecord, reason: string) {
  return new JobFailedError(`The ${record.kind} job failed at the provider: ${reason}`, {
    queueId: record.id,
    model: record.model,
    refundedUsd: microsToUsd(record.refundedMicros ?? 0n),
    reason,
  });
}

function checkKind(kind: JobKind) {
  if (kind !== 'video' && kind !== 'audio')
    throw new ConfigError('A job is a video or an audio (music) job', { kind: String(kind).slice(0, 20) });
}

/** The queue answer's id and one-time link, checked: both are data from the server. */
function queued(answer: unknown): { queueId: string; downloadUrl?: string } {
  const a = answer as { queue_id?: unknown; download_url?: unknown } | undefined;
  const queueId = a?.queue_id;
  if (typeof queueId !== 'string' || queueId.length === 0 || queueId.length > MAX_ID)
    throw new ProtocolError('The queue answer carries no usable queue_id');
  let downloadUrl: string | undefined;
  if (a?.download_url !== undefined && a.download_url !== null) {
    const link = typeof a.download_url === 'string' ? parseUrl(a.download_url) : undefined;
    if (!link || (link.protocol !== 'https:' && link.protocol !== 'http:'))
      throw new ProtocolError('The queue answer carries a download_url that is not an http(s) URL');
    downloadUrl = link.href;
  }
  return { queueId, downloadUrl };
}

const positive = (v: number | undefined, fallback: number) =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fallback;

const parseUrl = (text: string): URL | undefined => {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
};
