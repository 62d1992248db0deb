import { AttestationError } from '../../errors.js';

/**
 * The parts of an Intel TDX DCAP quote a client can check without Intel's collateral: the TD's attributes and its
 * 64 bytes of REPORTDATA. Offsets from Intel's "TDX DCAP Quoting Library API", appendix A (quote format v4 / v5):
 *
 *   header (48 bytes): version u16 LE @0, attestation key type u16 @2, TEE type u32 LE @4 (0x81 = TDX)
 *   v4: TD quote body @48. v5: body descriptor @48 (type u16, size u32), body @54 (type 2 = TD 1.0, 3 = TD 1.5)
 *   body: TEE_TCB_SVN 16 @0, MRSEAM 48 @16, MRSIGNERSEAM 48 @64, SEAMATTRIBUTES 8 @112, TDATTRIBUTES 8 @120,
 *         XFAM 8 @128, MRTD 48 @136, MRCONFIGID @184, MROWNER @232, MROWNERCONFIG @280, RTMR0–3 @328, REPORTDATA 64 @520
 *   TDATTRIBUTES bit 0 = DEBUG (the TD can be inspected by the host: nothing it holds is private).
 *
 * The signature over all this is not checked here (full DCAP verification needs Intel's PCK chain): a structural
 * check only, the same one the `venice-e2ee` client makes by default.
 */
export interface TdxQuote {
  version: number;
  /** TDATTRIBUTES, 8 bytes. */
  tdAttributes: Uint8Array;
  /** REPORTDATA, 64 bytes: what the TD bound into its report. */
  reportData: Uint8Array;
  /** DEBUG attribute set. */
  debug: boolean;
}

const HEADER = 48;
const TDX_TEE_TYPE = 0x81;
const TD_ATTRIBUTES = 120;
const REPORT_DATA = 520;
const BODY_BYTES = 584;

/** Decodes a quote as Venice sends it (base64; hex also accepted, as `venice-e2ee` does) and reads it. */
export function parseTdxQuote(encoded: string, model: string): TdxQuote {
  const bytes = decodeQuote(encoded);
  const bad = (why: string) => new AttestationError('quote', `The TDX quote of ${model} ${why}`, { model });
  if (!bytes || bytes.length < HEADER + 6) throw bad('is not base64 or hex');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(0, true);
  if (view.getUint32(4, true) !== TDX_TEE_TYPE) throw bad('is not a TDX quote');
  let body: number;
  if (version === 4) body = HEADER;
  else if (version === 5) {
    const type = view.getUint16(HEADER, true);
    if (type !== 2 && type !== 3) throw bad(`has a body of type ${type}, not a TD report`);
    body = HEADER + 6;
  } else throw bad(`has version ${version} (4 and 5 are read)`);
  if (bytes.length < body + BODY_BYTES) throw bad('is too short for a TD report');
  const tdAttributes = bytes.slice(body + TD_ATTRIBUTES, body + TD_ATTRIBUTES + 8);
  const reportData = bytes.slice(body + REPORT_DATA, body + REPORT_DATA + 64);
  return { version, tdAttributes, reportData, debug: (tdAttributes[0]! & 0x01) !== 0 };
}

function decodeQuote(encoded: string): Uint8Array | undefined {
  const value = encoded.trim().replace(/^0x/, '');
  if (value.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(value)) return Buffer.from(value, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return undefined;
  return Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
}
