/** The simulator's model catalogue, in Venice's `GET /models` shape. Prices are USD per unit (see docs/venice-protocol.md §8). */
export interface SimPricing {
  input?: number;
  output?: number;
  generation?: number;
  per_audio_second?: number;
  /** Video and music: USD per second of output (never listed in /models: the price is the quote). */
  per_second?: number;
  /** Upscalers: USD per image at 2x and at 4x (`pricing.upscale{2x,4x}` in /models). */
  upscale_2x?: number;
  upscale_4x?: number;
}

export interface SimModel {
  id: string;
  type: 'text' | 'embedding' | 'image' | 'tts' | 'asr' | 'video' | 'music' | 'upscale' | 'inpaint';
  pricing: SimPricing;
  contextTokens?: number;
  maxCompletionTokens?: number;
  embeddingDimensions?: number;
  supportsFunctionCalling?: boolean;
  /** Private video models: the queue answer carries a one-time `download_url`; retrieve then answers JSON only. */
  privateDownload?: boolean;
}

export const DEFAULT_MODELS: SimModel[] = [
  {
    id: 'venice-uncensored',
    type: 'text',
    pricing: { input: 0.2, output: 0.9 },
    contextTokens: 32_768,
    maxCompletionTokens: 8_192,
  },
  {
    id: 'llama-3.3-70b',
    type: 'text',
    pricing: { input: 0.7, output: 2.8 },
    contextTokens: 65_536,
    maxCompletionTokens: 8_192,
    supportsFunctionCalling: true,
  },
  {
    id: 'qwen3-4b',
    type: 'text',
    pricing: { input: 0.05, output: 0.15 },
    contextTokens: 32_768,
    maxCompletionTokens: 4_096,
    supportsFunctionCalling: true,
  },
  { id: 'text-embedding-bge-m3', type: 'embedding', pricing: { input: 0.15, output: 0.6 }, embeddingDimensions: 256 },
  { id: 'venice-sd35', type: 'image', pricing: { generation: 0.01 } },
  { id: 'tts-kokoro', type: 'tts', pricing: { input: 3.5 } },
  { id: 'nvidia/parakeet-tdt-0.6b-v3', type: 'asr', pricing: { per_audio_second: 0.0001 } },
  // 5 s at 720p: $0.35 (docs/venice-protocol.md §13.1's example quote).
  { id: 'wan-2.5-preview-text-to-video', type: 'video', pricing: { per_second: 0.07 } },
  {
    id: 'grok-imagine-text-to-video-private',
    type: 'video',
    pricing: { per_second: 0.05 },
    privateDownload: true,
  },
  // Private models (venice-wire §13.2): attested TEE, and TEE with end-to-end encryption (Venice's x402 example).
  {
    id: 'tee-qwen3-4b',
    type: 'text',
    pricing: { input: 0.05, output: 0.15 },
    contextTokens: 32_768,
    maxCompletionTokens: 4_096,
  },
  {
    id: 'e2ee-glm-5',
    type: 'text',
    pricing: { input: 1, output: 3.2 },
    contextTokens: 65_536,
    maxCompletionTokens: 8_192,
  },
  // 60 s: $0.48.
  { id: 'elevenlabs-music', type: 'music', pricing: { per_second: 0.008 } },
  // Image edits (`/image/upscale|edit|multi-edit|background-remove`): priced per image from the catalogue.
  { id: 'upscaler', type: 'upscale', pricing: { upscale_2x: 0.02, upscale_4x: 0.08 } },
  { id: 'qwen-edit', type: 'inpaint', pricing: { generation: 0.04 } },
  { id: 'bria-bg-remover', type: 'inpaint', pricing: { generation: 0.025 } },
];

export type PriceOverrides = Record<string, Partial<SimPricing>>;

export function buildCatalogue(overrides: PriceOverrides = {}): Map<string, SimModel> {
  const map = new Map<string, SimModel>();
  for (const m of DEFAULT_MODELS) map.set(m.id, { ...m, pricing: { ...m.pricing, ...overrides[m.id] } });
  return map;
}

const price = (usd: number | undefined) => (usd === undefined ? undefined : { usd, diem: usd });

export function modelToJson(m: SimModel) {
  const p = m.pricing;
  const pricing =
    m.type === 'video' || m.type === 'music'
      ? undefined // priced by quote (docs/venice-protocol.md §8)
      : m.type === 'image' || m.type === 'inpaint'
        ? { generation: price(p.generation) }
        : m.type === 'upscale'
          ? { upscale: { '2x': price(p.upscale_2x), '4x': price(p.upscale_4x) } }
          : m.type === 'asr'
            ? { per_audio_second: price(p.per_audio_second) }
            : m.type === 'tts'
              ? { input: price(p.input) }
              : { input: price(p.input), output: price(p.output ?? 0) };
  const spec: Record<string, unknown> = {
    name: m.id,
    privacy: 'private',
    offline: false,
    beta: false,
    traits: [],
    ...(pricing ? { pricing } : {}),
  };
  if (m.type === 'text') {
    Object.assign(spec, {
      availableContextTokens: m.contextTokens,
      maxCompletionTokens: m.maxCompletionTokens,
      capabilities: {
        optimizedForCode: false,
        quantization: 'fp8',
        supportsFunctionCalling: m.supportsFunctionCalling ?? false,
        supportsAudioInput: false,
        supportsReasoning: false,
        supportsReasoningEffort: false,
        supportsResponseSchema: true,
        supportsMultipleImages: false,
        supportsVision: false,
        supportsVideoInput: false,
        supportsWebSearch: true,
        supportsLogProbs: false,
        supportsTeeAttestation: m.id.startsWith('tee-') || m.id.startsWith('e2ee-'),
        supportsE2EE: m.id.startsWith('e2ee-'),
        supportsXSearch: false,
      },
    });
  }
  if (m.type === 'embedding') {
    Object.assign(spec, {
      embeddingDimensions: m.embeddingDimensions,
      maxInputTokens: 8192,
      supportsCustomDimensions: true,
    });
  }
  return {
    id: m.id,
    object: 'model',
    owned_by: 'venice.ai',
    type: m.type,
    created: 1_727_966_436,
    ...(m.type === 'text' ? { context_length: m.contextTokens } : {}),
    model_spec: spec,
  };
}

/** Per-1M-token price × tokens, in micro-USD, rounded up: what the server bills. */
export function tokenCostMicros(tokens: number, usdPerMillion = 0): bigint {
  return BigInt(Math.ceil(tokens * usdPerMillion));
}

/** The server's token count: ≈ 4 characters per token. */
export const countTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));
