import { lazy, zod } from '../lazy.js';

/** Venice's `venice_parameters` (docs/venice-protocol.md §9.1) in camelCase, as the adapters take them. */
export interface VeniceParameters {
  characterSlug?: string;
  stripThinkingResponse?: boolean;
  disableThinking?: boolean;
  enableE2ee?: boolean;
  enableWebSearch?: 'off' | 'auto' | 'on';
  enableWebScraping?: boolean;
  enableWebCitations?: boolean;
  includeSearchResultsInStream?: boolean;
  returnSearchResultsAsDocuments?: boolean;
  includeVeniceSystemPrompt?: boolean;
  enableXSearch?: boolean;
}

/** The zod schema behind VeniceParameters (strict: unknown keys are refused). */
export const veniceParametersSchema = lazy(() => {
  const { z } = zod();
  return z
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
});

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Validated camelCase options → the snake_case object Venice expects. Throws TypeError naming the bad keys. */
export function toVeniceParameters(value: unknown): Record<string, unknown> {
  const result = veniceParametersSchema().safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => {
      const where = i.path.join('.') || (i as { keys?: string[] }).keys?.join(', ') || '(root)';
      return `${where}: ${i.message}`;
    });
    throw new TypeError(`Invalid veniceParameters — ${issues.join('; ')}`);
  }
  return Object.fromEntries(Object.entries(result.data).map(([k, v]) => [snake(k), v]));
}
