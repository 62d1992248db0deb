import type { VeniceParameters } from '@venice-x402/core';

export { toVeniceParameters, type VeniceParameters, veniceParametersSchema } from '@venice-x402/core';

/**
 * `providerOptions.venice` of a chat call. The AI SDK types `providerOptions` as any JSON, so a typo compiles
 * unless the object is checked against this type: `providerOptions: { venice: {…} } satisfies VeniceProviderOptions`.
 */
export interface VeniceChatProviderOptions {
  /** Sent as Venice's `venice_parameters` (snake_case), validated before the request. */
  veniceParameters?: VeniceParameters;
  /** An id for your end user (OpenAI's `user`). */
  user?: string;
  /** Reasoning effort of reasoning models (`reasoning_effort`); null sends an explicit null. */
  reasoningEffort?: 'low' | 'medium' | 'high' | (string & {}) | null;
  /** Verbosity of the answer (`verbosity`). */
  textVerbosity?: 'low' | 'medium' | 'high' | (string & {});
  /** Strict JSON schema for structured outputs (default true). */
  strictJsonSchema?: boolean;
}

/** The whole `providerOptions` of a Venice call, for `satisfies`: a misspelt key fails to compile. */
export interface VeniceProviderOptions {
  venice: VeniceChatProviderOptions;
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
