import { type BodyLimits, readBounded } from '../../bounded-body.js';
import { errorText } from '../../http.js';

/** What one `retrieve` answer means for a job. */
export type RetrieveAnswer =
  | { kind: 'running'; status: string; averageMs?: number; durationMs?: number }
  | { kind: 'media'; bytes: Uint8Array; mediaType: string }
  /** Done, and the media waits at the job's `download_url` (private models). */
  | { kind: 'ready' }
  /** The provider failed or refused the job: Venice refunds it. */
  | { kind: 'failed'; reason: string; status: number }
  /** Worth asking again (a 5xx without a failure verdict, 429, a 404 download not ready yet). */
  | { kind: 'retry'; reason: string; status: number }
  /** An answer no poll should get (400, 401, 403, 404: not ours, or gone). */
  | { kind: 'refused'; reason: string; status: number };

const STATUS_BYTES = 1024 * 1024;

/** How a job's media is named in the errors of `readBounded` (maxMediaBytes, mediaIdleTimeoutMs). */
export const mediaLabel = (queueId: string) => ({
  what: "The job's media (maxMediaBytes, mediaIdleTimeoutMs)",
  details: { queueId },
});
const ms = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
const RUNNING = new Set(['PROCESSING', 'QUEUED', 'PENDING', 'IN_PROGRESS', 'RUNNING']);

/**
 * Reads a `retrieve` answer (docs/venice-protocol.md §13.1): JSON status while the job runs, the media bytes when it is done
 * (or JSON `COMPLETED` when a `download_url` was issued), an error when the provider failed it. A failure is told
 * apart from a passing server error by its verdict: 422, or a 5xx that says the generation failed or was refunded.
 */
export async function readRetrieveAnswer(
  response: Response,
  limits: BodyLimits,
  queueId: string,
): Promise<RetrieveAnswer> {
  const type = response.headers.get('content-type') ?? '';
  const json = /json/i.test(type) || !response.ok;
  if (response.ok && !json) {
    return {
      kind: 'media',
      bytes: await readBounded(response, limits, mediaLabel(queueId)),
      mediaType: type.split(';')[0]!.trim(),
    };
  }
  // A status is small: one that does not end (or is huge) is read no further and counts as a failed poll.
  const bounds = { maxBytes: STATUS_BYTES, idleMs: limits.idleMs };
  const text = await readBounded(response, bounds, { what: "The job's status", details: { queueId } }).then(
    (bytes) => new TextDecoder().decode(bytes),
    () => '',
  );
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const status = response.status;
  if (response.ok) {
    const state = typeof body?.status === 'string' ? body.status.toUpperCase() : '';
    if (state === 'COMPLETED') return { kind: 'ready' };
    if (state === 'FAILED') return { kind: 'failed', reason: errorText(body, 'the job failed'), status };
    if (RUNNING.has(state))
      return {
        kind: 'running',
        status: state,
        averageMs: ms(body.average_execution_time),
        durationMs: ms(body.execution_duration),
      };
    return { kind: 'retry', reason: `unexpected status ${JSON.stringify(state).slice(0, 40)}`, status };
  }
  const reason = errorText(body, `HTTP ${status}`);
  if (status === 422 || (status >= 500 && saysFailed(body, text))) return { kind: 'failed', reason, status };
  if (status >= 500 || status === 429 || status === 408) return { kind: 'retry', reason, status };
  return { kind: 'refused', reason, status };
}

/** A server error that is the job's verdict, not a passing fault: Venice says the generation failed or was refunded. */
function saysFailed(body: any, text: string): boolean {
  if (body?.code === 'INFERENCE_FAILED' || body?.error?.credits_refunded === true) return true;
  return /refund/i.test(text.slice(0, 2000));
}
