import { z } from 'zod';

/** Venice's `venice_parameters` (venice-wire §9.1), in camelCase for `providerOptions.venice.veniceParameters`. */
export const veniceParametersSchema = z
  .object({
    characterSlug: z.string().min(1).optional(),
    stripThinkingResponse: z.boolean().optional(),
    disableThinking: z.boolean().optional(),
    enableE2ee: z.boolean().optional(),
    enableWebSearch: z.enum(['off', 'auto', 'on']).optional(),
    enableWebScraping: z.boolean().optional(),
    enableWebCitations: z.boolean().optional(),
    includeSearchResultsInStream: z.boolean().optional(),
    returnSearchResultsAsDocuments: z.boolean().optional(),
    includeVeniceSystemPrompt: z.boolean().optional(),
    enableXSearch: z.boolean().optional(),
  })
  .strict();

export type VeniceParameters = z.infer<typeof veniceParametersSchema>;

export interface VeniceChatProviderOptions {
  veniceParameters?: VeniceParameters;
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Validated camelCase options → the snake_case object Venice expects. Throws on unknown keys or bad values. */
export function toVeniceParameters(value: unknown): Record<string, unknown> {
  const result = veniceParametersSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map(
      (i) => `${i.path.join('.') || (i as { keys?: string[] }).keys?.join(', ') || '(root)'}: ${i.message}`,
    );
    throw new TypeError(`Invalid providerOptions.venice.veniceParameters — ${issues.join('; ')}`);
  }
  const parsed = result.data;
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [snake(k), v]));
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
