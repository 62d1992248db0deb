import type { z } from 'zod/v4';
import { ProtocolError } from '../errors.js';
import { type PaymentPayload, type PaymentRequired, type SettleResponse, x402Schemas } from './schemas.js';

const MAX_HEADER_CHARS = 64 * 1024;

/** Standard base64 (padding optional) of UTF-8 JSON → unknown. Every failure is a ProtocolError. */
export function decodeBase64Json(value: string, what: string): unknown {
  if (typeof value !== 'string' || value.length === 0) throw new ProtocolError(`${what} is empty`);
  if (value.length > MAX_HEADER_CHARS) throw new ProtocolError(`${what} is too large`, { length: value.length });
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new ProtocolError(`${what} is not base64`);
  const text = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64').toString(
    'utf8',
  );
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolError(`${what} is not base64-encoded JSON`);
  }
}

export function encodeBase64Json(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

export function parseWith<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ProtocolError(`${what} is malformed`, {
      issues: result.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    });
  }
  return result.data;
}

/**
 * Reads an x402 quote from a 402 response: the v2 `PAYMENT-REQUIRED` header when present and valid,
 * else a v1/v2 JSON body (`{x402Version, accepts}`). Returns undefined when neither carries one.
 */
export function readPaymentRequired(header: string | null | undefined, body: unknown): PaymentRequired | undefined {
  let headerError: ProtocolError | undefined;
  if (header) {
    try {
      return parseWith(
        x402Schemas().paymentRequiredSchema,
        decodeBase64Json(header, 'PAYMENT-REQUIRED header'),
        'PAYMENT-REQUIRED',
      );
    } catch (error) {
      headerError = error as ProtocolError;
    }
  }
  if (body && typeof body === 'object' && 'x402Version' in body && 'accepts' in body) {
    const parsed = x402Schemas().paymentRequiredSchema.safeParse(body);
    if (parsed.success && parsed.data.accepts.length > 0) return parsed.data;
    if (!headerError) parseWith(x402Schemas().paymentRequiredSchema, body, '402 body');
  }
  if (headerError) throw headerError;
  return undefined;
}

export function encodePaymentRequired(value: PaymentRequired): string {
  return encodeBase64Json(value);
}

export function encodePaymentPayload(value: PaymentPayload): string {
  return encodeBase64Json(value);
}

/** Decodes `PAYMENT-RESPONSE`. Returns undefined for an absent header; throws ProtocolError when malformed. */
export function decodePaymentResponse(header: string | null | undefined): SettleResponse | undefined {
  if (!header) return undefined;
  return parseWith(
    x402Schemas().settleResponseSchema,
    decodeBase64Json(header, 'PAYMENT-RESPONSE header'),
    'PAYMENT-RESPONSE',
  );
}
