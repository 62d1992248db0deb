import type { VeniceParameters } from '@venice-x402/core';

export { toVeniceParameters, type VeniceParameters, veniceParametersSchema } from '@venice-x402/core';

export interface VeniceChatProviderOptions {
  veniceParameters?: VeniceParameters;
}

/** Text models in the Venice catalogue at the time of writing; any string is accepted. */
export type VeniceChatModelId =
  | 'venice-uncensored'
  | 'llama-3.3-70b'
  | 'llama-3.2-3b'
  | 'qwen3-4b'
  | 'qwen3-235b'
  | 'mistral-31-24b'
  | 'deepseek-r1-671b'
  | (string & {});

export type VeniceEmbeddingModelId = 'text-embedding-bge-m3' | (string & {});
export type VeniceImageModelId = 'venice-sd35' | 'hidream' | 'flux-dev' | (string & {});
export type VeniceSpeechModelId = 'tts-kokoro' | (string & {});
export type VeniceTranscriptionModelId = 'nvidia/parakeet-tdt-0.6b-v3' | (string & {});
