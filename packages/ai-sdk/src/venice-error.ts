import type { ProviderErrorStructure } from '@ai-sdk/openai-compatible';
import { z } from 'zod/v4';

/** Venice errors come as `{ error: "text" }`, `{ error: { message } }` (OpenAI style) or `{ error: CODE, message }` (top-up). */
const veniceErrorSchema = z.object({
  error: z.union([z.string(), z.object({ message: z.string() }).loose()]),
  message: z.string().optional(),
  code: z.string().optional(),
});

export type VeniceErrorData = z.infer<typeof veniceErrorSchema>;

export const veniceErrorStructure: ProviderErrorStructure<VeniceErrorData> = {
  errorSchema: veniceErrorSchema,
  errorToMessage: (data) => {
    const base = typeof data.error === 'string' ? data.error : data.error.message;
    return data.message && data.message !== base ? `${base}: ${data.message}` : base;
  },
};
