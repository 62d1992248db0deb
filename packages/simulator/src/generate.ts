import { createHash } from 'node:crypto';
import { audioDurationSeconds } from '@venice-x402/core/internal';

/** Deterministic stand-ins for model output. */

const WORDS = 'the quick answer is that paid inference works offline and every token here is billed exactly once'.split(
  ' ',
);

export function replyText(prompt: string, maxTokens: number): string[] {
  const head = `Simulated reply to "${prompt.slice(0, 48).replace(/\s+/g, ' ')}":`;
  const words = [head];
  const n = Math.max(0, Math.min(maxTokens, 24) - 1);
  for (let i = 0; i < n; i++) words.push(WORDS[i % WORDS.length]!);
  return words.slice(0, Math.max(1, maxTokens)).map((w, i) => (i === 0 ? w : ` ${w}`));
}

/** A value that satisfies a JSON schema (the subset tool and response schemas use). */
export function sampleFromSchema(schema: any, key = 'value', depth = 0): unknown {
  if (!schema || typeof schema !== 'object' || depth > 8) return null;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const anyOf = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(anyOf) && anyOf.length)
    return sampleFromSchema(anyOf.find((s: any) => s?.type !== 'null') ?? anyOf[0], key, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type;
  switch (type) {
    case 'string': {
      if (schema.format === 'date-time') return '2026-01-01T00:00:00.000Z';
      const text = `sample ${key}`;
      const min = schema.minLength ?? 0;
      const max = schema.maxLength ?? Number.POSITIVE_INFINITY;
      return text.padEnd(min, 'x').slice(0, max);
    }
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : undefined);
      const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : undefined);
      let v = 3;
      if (min !== undefined && v < min) v = Math.ceil(min);
      if (max !== undefined && v > max) v = Math.floor(max);
      return v;
    }
    case 'boolean':
      return true;
    case 'array': {
      const n = Math.max(1, schema.minItems ?? 1);
      return Array.from({ length: Math.min(n, schema.maxItems ?? n) }, () =>
        sampleFromSchema(schema.items ?? {}, key, depth + 1),
      );
    }
    default: {
      if (type !== 'object' && !schema.properties) return `sample ${key}`;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(schema.properties ?? {})) out[k] = sampleFromSchema(v, k, depth + 1);
      return out;
    }
  }
}

const STOPWORDS = new Set(
  'a an and are as at be by can do does for from has how in is it its of on once or so that the then this to was what when which who why will with'.split(
    ' ',
  ),
);

/** Crude stemming so "pays", "paying" and "paid" meet. */
const stem = (w: string) => w.replace(/(ing|ed|es|s)$/, '');

/** Bag-of-words vectors hashed into `dims` buckets, L2-normalised: texts sharing words are close. */
export function embed(text: string, dims: number): number[] {
  const v = new Array<number>(dims).fill(0);
  const words = (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => !STOPWORDS.has(w)).map(stem);
  for (const w of words) {
    const h = createHash('sha256').update(w).digest();
    v[h.readUInt32BE(0) % dims]! += 1;
    v[h.readUInt32BE(4) % dims]! += h[8]! & 1 ? 0.5 : -0.5;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => Math.round((x / norm) * 1e6) / 1e6);
}

/** A 1×1 transparent PNG. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** A valid mono 16-bit PCM WAV of `samples` silent samples at 16 kHz. */
export function tinyWav(samples = 1600): Buffer {
  const data = samples * 2;
  const b = Buffer.alloc(44 + data);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + data, 4);
  b.write('WAVE', 8);
  b.write('fmt ', 12);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(16_000, 24);
  b.writeUInt32LE(32_000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(data, 40);
  return b;
}

/**
 * Seconds Venice bills a transcription for: the audio's length from its container (WAV, FLAC, Ogg, MP3, AAC,
 * MP4, WebM), rounded up; a format it cannot read is guessed from its size.
 */
export function audioSeconds(bytes: Uint8Array): number {
  return Math.max(1, Math.ceil(audioDurationSeconds(bytes) ?? bytes.length / 16_000));
}
