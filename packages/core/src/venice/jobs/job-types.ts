import type { Budget } from '../../budget/budget-types.js';
import type { JobRecord } from '../../budget/store.js';
import type { FetchLike } from '../../http.js';

/** Venice's two async job families: `/video/*` and `/audio/*` (music). */
export type JobKind = JobRecord['kind'];

/** One poll of a running job (docs/venice-protocol.md §13.1): what Venice says about its progress. */
export interface JobProgress {
  queueId: string;
  model: string;
  kind: JobKind;
  /** Venice's status (`PROCESSING`, `QUEUED`, …). */
  status: string;
  /** Polls so far. */
  polls: number;
  /** Venice's typical run time of such a job (P80), when it says. */
  averageExecutionTimeMs?: number;
  /** How long this job has been running, when Venice says. */
  executionDurationMs?: number;
  /** How long until the next poll. */
  nextPollMs: number;
}

/** The finished media. */
export interface JobMedia {
  bytes: Uint8Array;
  mediaType: string;
}

export interface JobResult {
  queueId: string;
  model: string;
  kind: JobKind;
  /** What the job was charged: its quote. */
  costUsd: number;
  media: JobMedia;
  /** A private model's one-time link the media came from. */
  downloadUrl?: string;
  /** True when this call settled the job (another process had not already). */
  settled: boolean;
}

export interface VeniceJobsOptions {
  /** The paid fetch (`createX402Fetch`): it holds each queued job at exactly its quote and charges it. */
  fetch: FetchLike;
  /**
   * The paid fetch's budget: its store keeps the job records (so another process can resume a job) and a failed
   * job's refund is credited to it. Without one, records live in this process only and nothing is credited.
   */
  budget?: Budget;
  /** Venice's API base. Default `https://api.venice.ai/api/v1`. */
  baseURL?: string;
  /** The paid fetch's scope (used only when the charge's own scope was not seen). */
  scope?: string | readonly string[];
  /** Fetches a private model's `download_url` (no credentials are sent). Default: the global fetch. */
  download?: FetchLike;
  /** Clock (ms since epoch) and wait, injectable for tests. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** First wait between polls (default 2,000 ms); it grows ×1.5 a poll up to `maxPollIntervalMs` (default 15,000). */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Polls before giving up (the job stays queued and can be resumed). Default 720. */
  maxPolls?: number;
  /** Transient poll failures in a row (5xx, 429, network) before giving up. Default 10. */
  maxPollErrors?: number;
  /** Largest media read (from `retrieve` or the download link); a larger one is a ProtocolError. Default 1 GiB. */
  maxMediaBytes?: number;
  /** Media that sends nothing for this long is cut with a TimeoutError (the job stays pending). Default 2 min. */
  mediaIdleTimeoutMs?: number;
}

export interface JobWaitOptions {
  onProgress?: (progress: JobProgress) => void;
  signal?: AbortSignal;
}
