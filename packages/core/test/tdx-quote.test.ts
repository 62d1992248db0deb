import { describe, expect, it } from 'vitest';
import { AttestationError } from '../src/errors.js';
import { parseTdxQuote } from '../src/venice/tee/tdx-quote.js';

/** A quote laid out per Intel's TDX DCAP quote format: v4 body at 48, v5 body after a 6-byte descriptor. */
function quote(version: 4 | 5, options: { debug?: boolean; bodyType?: number; teeType?: number } = {}) {
  const body = version === 4 ? 48 : 54;
  const q = Buffer.alloc(body + 584 + 4);
  q.writeUInt16LE(version, 0);
  q.writeUInt32LE(options.teeType ?? 0x81, 4);
  if (version === 5) q.writeUInt16LE(options.bodyType ?? 2, 48);
  q[body + 120] = options.debug ? 0x01 : 0;
  for (let i = 0; i < 64; i++) q[body + 520 + i] = i;
  return q;
}

describe('parseTdxQuote', () => {
  for (const version of [4, 5] as const) {
    it(`reads REPORTDATA and TDATTRIBUTES.DEBUG of a v${version} quote, base64 or hex`, () => {
      for (const encoding of ['base64', 'hex'] as const) {
        const parsed = parseTdxQuote(quote(version).toString(encoding), 'm');
        expect(parsed.version).toBe(version);
        expect([...parsed.reportData]).toEqual(Array.from({ length: 64 }, (_, i) => i));
        expect(parsed.debug).toBe(false);
        expect(parseTdxQuote(quote(version, { debug: true }).toString(encoding), 'm').debug).toBe(true);
      }
    });
  }

  for (const [name, encoded] of [
    ['not TDX (SGX tee type)', quote(4, { teeType: 0 }).toString('base64')],
    ['an unknown version', Buffer.from(quote(4)).fill(3, 0, 1).toString('base64')],
    ['a v5 body that is not a TD report', quote(5, { bodyType: 1 }).toString('base64')],
    ['too short for a TD report', quote(4).subarray(0, 600).toString('base64')],
    ['neither base64 nor hex', 'not a quote!'],
  ] as const) {
    it(`refuses ${name}`, () => {
      const error = (() => {
        try {
          parseTdxQuote(encoded, 'tee-x');
        } catch (e) {
          return e;
        }
      })() as AttestationError;
      expect(error).toBeInstanceOf(AttestationError);
      expect(error.reason).toBe('quote');
      expect(error.details.model).toBe('tee-x');
    });
  }
});
