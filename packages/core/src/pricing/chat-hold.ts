import { type Micros, usdToMicros } from '../money.js';

/** Conservative: ≈ 3 characters per token (English averages ~4; code and other scripts run denser). */
export const tokensOf = (chars: number) => Math.ceil(chars / 3);
const DEFAULT_MAX_COMPLETION = 4096;
const WEB_SEARCH_USD = 0.01;

/** Unit prices of a text model (USD per 1M tokens) and its completion cap. */
export interface TextPricing {
  input?: number;
  output?: number;
  maxCompletionTokens?: number;
}

export const perMillion = (units: number, usdPerMillion: number | undefined) =>
  usdToMicros((units * (usdPerMillion ?? 0)) / 1e6, 'ceil');

const CAP_FIELDS = ['max_completion_tokens', 'max_tokens', 'max_output_tokens'];

/**
 * The cap fields a route's server reads (chat: both chat fields; Responses: `max_output_tokens`; Messages:
 * `max_tokens`); every field for another route. A field the server ignores must not lower the hold.
 */
function capFieldsOf(route: string | undefined): string[] {
  const path = route?.replace(/\/+$/, '');
  if (path?.endsWith('/chat/completions')) return ['max_completion_tokens', 'max_tokens'];
  if (path?.endsWith('/responses')) return ['max_output_tokens'];
  if (path?.endsWith('/messages')) return ['max_tokens'];
  return CAP_FIELDS;
}

/**
 * The completion cap a request asked for on `route`: the largest of the cap fields that route reads, when every one
 * present is a positive number; undefined when none is present or any is not a positive number (a string, `true`,
 * an array: the server may read it differently, so it never lowers a hold).
 */
export function askedCompletionCap(body: Record<string, any>, route?: string): number | undefined {
  let cap: number | undefined;
  for (const field of capFieldsOf(route)) {
    const asked = body[field];
    if (asked == null) continue;
    if (typeof asked !== 'number' || !Number.isFinite(asked) || asked <= 0) return undefined;
    cap = Math.max(cap ?? 0, Math.ceil(asked));
  }
  return cap;
}

/** Whether a request names no completion cap at all (absent or null: the server's default, the model's maximum). */
export const setsNoCompletionCap = (body: Record<string, any>) => CAP_FIELDS.every((f) => body[f] == null);

/**
 * Worst case of a chat-like call (chat completions, Responses, Messages): input tokens plus the completion cap
 * × `n`, plus web search when asked. The server never produces more than the model's cap, and a nonsense cap
 * (negative, NaN, a string) or one `route` does not read never lowers the hold: anything but a positive number means the model's own maximum.
 */
export function chatHoldMicros(p: TextPricing, body: Record<string, any>, model: string, route?: string): Micros {
  const inputChars =
    JSON.stringify(body.messages ?? body.input ?? '').length +
    JSON.stringify(body.tools ?? '').length +
    String(body.system ?? '').length;
  const modelMax = p.maxCompletionTokens ?? DEFAULT_MAX_COMPLETION;
  const cap = Math.min(askedCompletionCap(body, route) ?? modelMax, modelMax);
  const askedN = Number(body.n ?? 1);
  const n = Number.isFinite(askedN) && askedN >= 1 ? Math.min(Math.ceil(askedN), 128) : 1;
  let micros = perMillion(tokensOf(inputChars), p.input) + perMillion(cap * n, p.output);
  const search = body.venice_parameters?.enable_web_search ?? /enable_web_search=(on|auto)/.exec(model)?.[1];
  if (search === 'on' || search === 'auto') micros += usdToMicros(WEB_SEARCH_USD);
  return micros;
}

/**
 * The largest completion cap whose hold fits in `roomMicros`, for a request that set none; undefined when even
 * `minTokens` does not fit (or the model has no output price).
 */
export function completionCapWithin(
  p: TextPricing,
  body: Record<string, any>,
  model: string,
  roomMicros: Micros,
  minTokens: number,
): number | undefined {
  if (!p.output) return undefined;
  const modelMax = p.maxCompletionTokens ?? DEFAULT_MAX_COMPLETION;
  const holdAt = (cap: number) => chatHoldMicros(p, { ...body, max_completion_tokens: cap }, model);
  const fits = (cap: number) => holdAt(cap) <= roomMicros;
  if (!fits(minTokens)) return undefined;
  // The hold grows with the cap: binary search for the largest cap that still fits.
  let lo = minTokens;
  let hi = modelMax;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
