import { DEFAULT_BASE_URL } from '../constants.js';
import { type FetchLike, joinUrl } from '../http.js';
import { type Micros, usdToMicros } from '../money.js';
import { billableAudioSeconds } from '../pricing/audio/duration.js';
import { chatHoldMicros, perMillion, tokensOf } from '../pricing/chat-hold.js';
import { imageEditMicros, imageEditModel } from '../pricing/image-edit.js';

export interface ModelPricing {
  id: string;
  type: string;
  /** USD per 1M tokens (text, embedding) or per 1M characters (tts). */
  input?: number;
  output?: number;
  /** USD per image. */
  image?: number;
  /** USD per upscaled image, at 2x and 4x (`upscale{2x,4x}`). */
  upscale2x?: number;
  upscale4x?: number;
  /** USD per audio second. */
  perAudioSecond?: number;
  maxCompletionTokens?: number;
}

export interface EstimateInput {
  /** API path relative to the base URL, e.g. `/chat/completions`. */
  route: string;
  /** Parsed JSON body, or for multipart its text fields. */
  body?: unknown;
  /** Byte size of the whole body. */
  bodyBytes?: number;
  /** Transcription: the uploaded audio file, whose container states its length. */
  audio?: Uint8Array;
}

export interface Estimate {
  micros: Micros;
  model?: string;
  /** `priced` when derived from /models, `default` when the policy's defaultEstimateUsd was used. */
  basis: 'priced' | 'default';
}

export interface Estimator {
  /** Worst-case cost of one call. Never throws: unknown calls get the default estimate. */
  estimate(input: EstimateInput): Promise<Estimate>;
  pricing(model: string): Promise<ModelPricing | undefined>;
  refresh(): Promise<void>;
}

const positive = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : undefined);

export function parseModels(json: any): ModelPricing[] {
  const out: ModelPricing[] = [];
  for (const m of Array.isArray(json?.data) ? json.data : []) {
    const p = m?.model_spec?.pricing ?? {};
    const num = (v: any) => (typeof v?.usd === 'number' && Number.isFinite(v.usd) ? v.usd : undefined);
    const resolutions = p.resolutions
      ? Object.values(p.resolutions)
          .map(num)
          .filter((v): v is number => v !== undefined)
      : [];
    out.push({
      id: String(m.id),
      type: String(m.type ?? 'text'),
      input: num(p.input),
      output: num(p.output),
      image: num(p.generation) ?? (resolutions.length ? Math.max(...resolutions) : undefined),
      upscale2x: num(p.upscale?.['2x']),
      upscale4x: num(p.upscale?.['4x']),
      perAudioSecond: num(p.per_audio_second),
      maxCompletionTokens: positive(m?.model_spec?.maxCompletionTokens),
    });
  }
  return out;
}

/**
 * Worst-case cost from Venice's `GET /models` pricing (cached for `ttlMs`): chat = input tokens + the
 * completion cap; embeddings = input tokens; images per image; image edits per image (upscales at
 * `upscale{2x,4x}`); speech per character; transcription per (estimated) audio second. Anything it cannot price
 * gets `defaultEstimateUsd`.
 */
export function createEstimator(options: {
  /** Where `GET /models` lives. `null`: never fetch pricing (pay-per-call servers have no Venice catalogue). */
  baseURL?: string | null;
  fetch?: FetchLike;
  defaultEstimateUsd: number;
  ttlMs?: number;
  /** Pricing given up front (skips the /models fetch for these ids). */
  models?: ModelPricing[];
}): Estimator {
  const fetchImpl = options.fetch ?? fetch;
  const ttl = options.ttlMs ?? 10 * 60_000;
  let table = new Map<string, ModelPricing>((options.models ?? []).map((m) => [m.id, m]));
  let loadedAt = options.models ? Date.now() : 0;
  let loading: Promise<void> | undefined;
  let triedAt = 0;
  const fallback: Estimate = { micros: usdToMicros(options.defaultEstimateUsd, 'ceil'), basis: 'default' };

  async function load() {
    const res = await fetchImpl(joinUrl(options.baseURL ?? DEFAULT_BASE_URL, 'models?type=all'));
    if (!res.ok) throw new Error(`models ${res.status}`);
    const next = new Map(table);
    for (const m of parseModels(await res.json())) next.set(m.id, m);
    table = next;
    loadedAt = Date.now();
  }

  async function pricing(model: string): Promise<ModelPricing | undefined> {
    const id = model.split(':')[0]!; // strip Venice model feature suffixes
    const now = Date.now();
    // Reload when stale, or for an unknown id at most every 30 s (a failing /models is not asked every call).
    const stale = now - loadedAt > ttl;
    if (options.baseURL !== null && (stale || (!table.has(id) && now - triedAt > 30_000))) {
      triedAt = now;
      loading ??= load()
        .catch(() => {
          // Pricing unavailable: estimates fall back to the default until the next attempt.
          loadedAt = Date.now() - ttl + 30_000;
        })
        .finally(() => {
          loading = undefined;
        });
      await loading;
    }
    return table.get(id);
  }

  return {
    pricing,
    refresh: async () => {
      loadedAt = 0;
      await load();
    },
    async estimate({ route, body, bodyBytes, audio }) {
      const b = (body ?? {}) as Record<string, any>;
      const model = typeof b.model === 'string' ? b.model : imageEditModel(route, b);
      if (!model) return fallback;
      const p = await pricing(model);
      if (!p) return { ...fallback, model };
      const path = route.replace(/\/+$/, '');
      let micros: Micros | undefined;
      if (path.endsWith('/chat/completions') || path.endsWith('/responses') || path.endsWith('/messages')) {
        micros = chatHoldMicros(p, b, model, path);
      } else if (path.endsWith('/embeddings')) {
        const inputs = Array.isArray(b.input) ? b.input : [b.input ?? ''];
        const chars = inputs.reduce((s: number, x: unknown) => s + String(x).length, 0);
        micros = perMillion(tokensOf(chars), p.input);
      } else if (path.endsWith('/images/generations') || path.endsWith('/image/generate')) {
        micros = usdToMicros((p.image ?? 0) * imagesAsked(b), 'ceil');
      } else if (imageEditModel(path, b)) {
        micros = imageEditMicros(path, body === undefined ? undefined : b, p);
      } else if (path.endsWith('/audio/speech')) {
        micros = perMillion(String(b.input ?? '').length, p.input);
      } else if (path.endsWith('/audio/transcriptions')) {
        // The container's stated length; unreadable audio is assumed to be at the lowest bitrate Venice takes.
        micros = usdToMicros(billableAudioSeconds(audio, bodyBytes) * (p.perAudioSecond ?? 0), 'ceil');
      }
      if (micros === undefined) return { ...fallback, model };
      return { micros, model, basis: 'priced' };
    },
  };
}

/** Images a generation call may produce: the larger of `n` and `variants` (a server may read either), at least 1. */
function imagesAsked(body: Record<string, any>): number {
  let images = 1;
  for (const asked of [Number(body.n), Number(body.variants)])
    if (Number.isFinite(asked) && asked > images) images = Math.ceil(asked);
  return images;
}
