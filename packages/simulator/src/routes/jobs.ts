import { randomUUID } from 'node:crypto';
import { usdToMicros } from '@venice-x402/core';
import { tinyWav } from '../generate.js';
import type { Ledger } from '../ledger.js';
import type { SimModel } from '../models.js';
import { HttpFailure, lookupModel } from './inference.js';

/**
 * Venice's asynchronous video and music jobs (docs/venice-protocol.md §13.1): `quote` (free, open) → `queue` (charged the
 * quote when accepted; a job dearer than the balance is refused) → `retrieve` (PROCESSING, then the media) →
 * `complete` (deletes the media). A job the provider fails is refunded (a REFUND row under its queue id).
 */

export type JobKind = 'video' | 'audio';
/** How a queued job ends: delivered, refused by the provider's content policy, or failed by the provider. */
export type JobFate = 'delivered' | 'content_policy' | 'provider_error';

interface Job {
  id: string;
  kind: JobKind;
  model: string;
  account: string;
  costMicros: bigint;
  queuedAt: number;
  polls: number;
  fate: JobFate;
  state: 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'DELETED';
  /** Private models: the token of the job's one-time download link, and how often it was fetched. */
  download?: { token: string; fetches: number };
}

const VIDEO_KEYS = new Set(
  'model prompt duration negative_prompt aspect_ratio resolution upscale_factor audio image_url end_image_url audio_url video_url reference_image_urls reference_video_urls reference_audio_urls elements scene_image_urls consents reference_video_total_duration'.split(
    ' ',
  ),
);
const MUSIC_KEYS = new Set(
  'model prompt lyrics_prompt duration_seconds force_instrumental lyrics_optimizer voice language_code speed character_count loop'.split(
    ' ',
  ),
);
const VIDEO_DURATIONS: Record<string, number> = { '5s': 5, '10s': 10 };
const RESOLUTION_FACTOR: Record<string, number> = { '480p': 0.5, '720p': 1, '1080p': 2 };
const MUSIC_SECONDS = { default: 30, max: 300 };
/** A private download link survives a few retries of an interrupted download, not repeated use. */
const DOWNLOAD_FETCHES = 3;
/** What Venice reports as a job's typical run time (P80), in ms. */
const AVERAGE_EXECUTION_MS = 145_000;

const bad = (error: string) => new HttpFailure(400, { error });

function objectBody(body: unknown, keys: Set<string>): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('Body must be a JSON object');
  for (const key of Object.keys(body)) if (!keys.has(key)) throw bad(`Unrecognized key in body: ${key}`);
  return body as Record<string, unknown>;
}

/** A job's price in micro-USD, from the same body the quote and the queue receive; 400/404 on a bad body. */
export function jobPrice(
  models: Map<string, SimModel>,
  kind: JobKind,
  raw: unknown,
): { model: SimModel; micros: bigint } {
  if (kind === 'video') {
    const body = objectBody(raw, VIDEO_KEYS);
    const model = lookupModel(models, body.model, 'video');
    const seconds = VIDEO_DURATIONS[String(body.duration)];
    if (seconds === undefined) throw bad('duration must be one of 5s, 10s');
    const factor = RESOLUTION_FACTOR[String(body.resolution ?? '720p')];
    if (factor === undefined) throw bad('resolution must be one of 480p, 720p, 1080p');
    if (body.audio !== undefined && body.audio !== null && typeof body.audio !== 'boolean')
      throw bad('audio must be a boolean');
    return { model, micros: usdToMicros((model.pricing.per_second ?? 0) * seconds * factor, 'ceil') };
  }
  const body = objectBody(raw, MUSIC_KEYS);
  const model = lookupModel(models, body.model, 'music');
  const asked = body.duration_seconds ?? MUSIC_SECONDS.default;
  const seconds = typeof asked === 'string' && /^\d+(\.\d+)?$/.test(asked) ? Number(asked) : asked;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0 || seconds > MUSIC_SECONDS.max)
    throw bad(`duration_seconds must be a number above 0 and at most ${MUSIC_SECONDS.max}`);
  return { model, micros: usdToMicros((model.pricing.per_second ?? 0) * seconds, 'ceil') };
}

export interface JobAnswer {
  status: number;
  body?: unknown;
  media?: { bytes: Buffer; contentType: string };
}

/** The jobs of one simulator: queued, polled and cleaned up per account. */
export class JobBook {
  private readonly jobs = new Map<string, Job>();
  private readonly downloads = new Map<string, Job>();
  constructor(
    private readonly deps: {
      models: Map<string, SimModel>;
      ledger: Ledger;
      now: () => number;
      /** Retrieves answered PROCESSING before a job ends. */
      pollsUntilDone: number;
    },
  ) {}

  /**
   * `POST /{video,audio}/queue`: charges the quote when the job is accepted. A private model's answer carries its
   * one-time `download_url` under `origin`.
   */
  queue(kind: JobKind, raw: unknown, account: string, fate: JobFate, origin: string): JobAnswer {
    const { model, micros } = jobPrice(this.deps.models, kind, raw);
    const prompt = (raw as Record<string, unknown>).prompt;
    if (typeof prompt !== 'string' || !prompt) throw bad('prompt is required');
    if (this.deps.ledger.balance(account) < micros) {
      return {
        status: 402,
        body: { error: 'Insufficient USD or Diem balance to complete request. Top up and try again.' },
      };
    }
    const id = randomUUID();
    this.deps.ledger.charge(account, micros, id, model.id);
    const job: Job = {
      id,
      kind,
      model: model.id,
      account,
      costMicros: micros,
      queuedAt: this.deps.now(),
      polls: 0,
      fate,
      state: 'PROCESSING',
      download: model.privateDownload ? { token: randomUUID(), fetches: 0 } : undefined,
    };
    this.jobs.set(id, job);
    if (job.download) this.downloads.set(job.download.token, job);
    const body: Record<string, unknown> = { model: model.id, queue_id: id };
    if (kind === 'audio') body.status = 'QUEUED';
    if (job.download) body.download_url = `${origin}/_simulator/media/${job.download.token}`;
    return { status: 200, body };
  }

  /** `POST /{video,audio}/retrieve`: PROCESSING while it runs, then the media (or the failure, refunded once). */
  retrieve(kind: JobKind, raw: unknown, account: string): JobAnswer {
    const job = this.find(kind, raw, account);
    const deleteAfter = (raw as Record<string, unknown>).delete_media_on_completion === true;
    if (job.state === 'PROCESSING' && ++job.polls <= this.deps.pollsUntilDone) {
      return { status: 200, body: { status: 'PROCESSING', ...this.timing(job) } };
    }
    if (job.fate !== 'delivered') return this.fail(job);
    job.state = deleteAfter ? 'DELETED' : 'COMPLETED';
    // A private model's media goes out through its download link only: retrieve answers with the status.
    if (job.download) return { status: 200, body: { status: 'COMPLETED', ...this.timing(job) } };
    return {
      status: 200,
      media:
        kind === 'video'
          ? { bytes: tinyMp4(), contentType: 'video/mp4' }
          : { bytes: tinyWav(16_000), contentType: 'audio/wav' },
    };
  }

  /** `POST /{video,audio}/complete`: deletes a finished job's media. No charge. */
  complete(kind: JobKind, raw: unknown, account: string): JobAnswer {
    const job = this.find(kind, raw, account);
    if (job.state === 'PROCESSING') throw bad('The job is still processing');
    job.state = 'DELETED';
    return { status: 200, body: { success: true } };
  }

  /** `GET` of a private job's `download_url`: the media once the job is done, a few times at most, then 410. */
  download(token: string): JobAnswer {
    const job = this.downloads.get(token);
    if (!job) return { status: 404, body: { error: 'Not found' } };
    if (job.state === 'PROCESSING') return { status: 404, body: { error: 'Not ready' } };
    if (job.state !== 'COMPLETED' || ++job.download!.fetches > DOWNLOAD_FETCHES)
      return { status: 410, body: { error: 'This download link has expired' } };
    return { status: 200, media: { bytes: tinyMp4(), contentType: 'video/mp4' } };
  }

  private timing(job: Job) {
    return {
      average_execution_time: AVERAGE_EXECUTION_MS,
      execution_duration: Math.max(0, this.deps.now() - job.queuedAt),
    };
  }

  private fail(job: Job): JobAnswer {
    if (job.state !== 'FAILED') {
      job.state = 'FAILED';
      this.deps.ledger.refund(job.account, job.id);
    }
    if (job.fate === 'content_policy') {
      return job.kind === 'video'
        ? {
            status: 422,
            body: {
              error: {
                message: 'The provider refused this prompt under its content policy',
                type: 'provider_content_policy',
                credits_refunded: true,
              },
            },
          }
        : { status: 422, body: { error: 'The prompt violates the content policy', suggested_prompt: 'A calm melody' } };
    }
    return {
      status: 500,
      body: { error: 'Generation failed at the provider; credits were refunded', code: 'INFERENCE_FAILED' },
    };
  }

  private find(kind: JobKind, raw: unknown, account: string): Job {
    const body = objectBody(raw, new Set(['model', 'queue_id', 'delete_media_on_completion']));
    if (typeof body.model !== 'string' || typeof body.queue_id !== 'string')
      throw bad('model and queue_id are required');
    const job = this.jobs.get(body.queue_id);
    // Someone else's job, another model's or an expired one: all look alike from outside.
    if (!job || job.kind !== kind || job.account !== account || job.model !== body.model || job.state === 'DELETED')
      throw new HttpFailure(404, { error: 'Media not found' });
    return job;
  }
}

/** A minimal ISO BMFF file (`ftyp` and an empty `mdat`), enough for a client to see an MP4. */
function tinyMp4(): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32BE(24, 0);
  b.write('ftypisom', 4, 'latin1');
  b.writeUInt32BE(512, 12);
  b.write('isommp41', 16, 'latin1');
  b.writeUInt32BE(8, 24);
  b.write('mdat', 28, 'latin1');
  return b;
}
