import { HttpError, QuoteRejectedError, TimeoutError } from '../errors.js';
import { errorText, type FetchLike, send } from '../http.js';
import { type Micros, usdToMicros } from '../money.js';

/** Venice's paid job routes and the free, open route that quotes each (docs/venice-protocol.md §13.1). */
const QUOTE_ROUTES: Record<string, string> = { '/video/queue': '/video/quote', '/audio/queue': '/audio/quote' };

/** The quote route of a paid job route (`/video/queue` → `/video/quote`); undefined for anything else. */
export const jobQuoteRoute = (route: string): string | undefined => QUOTE_ROUTES[route];

/** No Venice job costs this much; a larger quote is a broken or hostile answer, not a price. */
export const MAX_JOB_QUOTE_USD = 1000;
/** Venice's least price of any paid route (`x-payment-info` min, docs/venice-protocol.md §8.1): a lower quote is not a price. */
export const MIN_JOB_QUOTE_USD = 0.001;
const MAX_QUOTE_BYTES = 64 * 1024;

export interface JobQuoteRequest {
  fetch: FetchLike;
  /** The quote URL (`…/api/v1/video/quote`). */
  url: string;
  /** The job's body, exactly as it will be queued. */
  body: Uint8Array;
  timeoutMs: number;
  signal?: AbortSignal;
  /** What times the quote out (the paid fetch passes its clock). Default: the global timers. */
  timers?: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(handle: unknown): void };
}

const globalTimers: JobQuoteRequest['timers'] & {} = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Asks Venice what a video or music job will cost (`POST /video/quote`, `/audio/quote`: free, no credentials)
 * with the body the job will be queued with. Resolves to the price in micro-USD; anything but a finite `quote`
 * from MIN_JOB_QUOTE_USD to MAX_JOB_QUOTE_USD is a QuoteRejectedError, a non-2xx an HttpError, no answer within
 * `timeoutMs` a TimeoutError — so a job is never queued on a price we could not read.
 */
export async function fetchJobQuote(request: JobQuoteRequest): Promise<Micros> {
  const path = new URL(request.url).pathname;
  const controller = new AbortController();
  const timers = request.timers ?? globalTimers;
  const timer = timers.setTimeout(
    () => controller.abort(new TimeoutError(`No job quote from ${path}`)),
    request.timeoutMs,
  );
  const onAbort = () => controller.abort(request.signal?.reason);
  if (request.signal?.aborted) onAbort();
  request.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const response = await send(request.fetch, request.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: request.body as BodyInit,
      signal: controller.signal,
      redirect: 'manual',
    });
    const text = await readCapped(response, controller.signal);
    if (!response.ok) {
      const detail = errorText(parseJson(text), `HTTP ${response.status}`);
      throw new HttpError(response.status, `Job quote refused by ${path}: ${detail}`, { route: path });
    }
    return quoteMicros(parseJson(text), path);
  } catch (error) {
    if (controller.signal.reason instanceof TimeoutError && !request.signal?.aborted) throw controller.signal.reason;
    throw error;
  } finally {
    timers.clearTimeout(timer);
    request.signal?.removeEventListener('abort', onAbort);
  }
}

function quoteMicros(body: unknown, path: string): Micros {
  const quote = (body as { quote?: unknown } | undefined)?.quote;
  if (typeof quote !== 'number' || !Number.isFinite(quote)) {
    throw new QuoteRejectedError('malformed', `The answer of ${path} carries no numeric quote`, { route: path });
  }
  if (!(quote >= MIN_JOB_QUOTE_USD && quote <= MAX_JOB_QUOTE_USD)) {
    const range = `$${MIN_JOB_QUOTE_USD}–$${MAX_JOB_QUOTE_USD}`;
    throw new QuoteRejectedError('amount', `Job quote $${quote} from ${path} is outside ${range}`, {
      route: path,
      quoteUsd: quote,
    });
  }
  return usdToMicros(quote, 'ceil');
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** The body as text, refusing more than MAX_QUOTE_BYTES (a quote is a few bytes of JSON). */
async function readCapped(response: Response, signal: AbortSignal): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const cancel = () => reader.cancel(signal.reason).catch(() => {});
  signal.addEventListener('abort', cancel, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > MAX_QUOTE_BYTES) {
        await reader.cancel().catch(() => {});
        throw new QuoteRejectedError('malformed', 'The job quote answer is too large', { bytes: size });
      }
      chunks.push(value);
    }
  } finally {
    signal.removeEventListener('abort', cancel);
  }
  return Buffer.concat(chunks).toString('utf8');
}
