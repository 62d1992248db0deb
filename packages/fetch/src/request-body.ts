/** What a request body says about its cost: the parsed JSON, or the fields of a multipart form. */
export interface RequestBody {
  /** Parsed JSON, or the text fields of a multipart form (so `model` is seen either way). */
  json: any;
  model: string | undefined;
  /** Byte size of the body (transcription is priced by upload size). */
  bodyBytes: number | undefined;
}

const MAX_PARSE_BYTES = 32 * 1024 * 1024;
const decoder = new TextDecoder();

/**
 * Reads the body the way the server will: JSON whatever the content-type says (a `text/plain` chat body
 * is still a chat), multipart form fields by name. Never throws.
 */
export function parseRequestBody(bytes: Uint8Array | undefined, contentType: string | null): RequestBody {
  const bodyBytes = bytes?.length;
  if (!bytes || bytes.length === 0 || bytes.length > MAX_PARSE_BYTES)
    return { json: undefined, model: undefined, bodyBytes };
  const boundary = /multipart\/form-data;.*boundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1];
  const json = boundary ? multipartFields(bytes, boundary) : parseJson(bytes);
  const model = typeof json?.model === 'string' ? json.model : undefined;
  return { json, model, bodyBytes };
}

/** A JSON object or array from bytes (request or answer body); undefined when it is not one. Never throws. */
export function parseJson(bytes: Uint8Array): any {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] !== 0x7b && bytes[i] !== 0x5b) return undefined; // not { or [
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
}

/** The small text fields of a multipart body (`model`, `language`, …); file parts are skipped. */
function multipartFields(bytes: Uint8Array, boundary: string): Record<string, string> {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const fields: Record<string, string> = Object.create(null);
  for (const part of text.split(`--${boundary}`)) {
    const end = part.indexOf('\r\n\r\n');
    if (end < 0) continue;
    const head = part.slice(0, end);
    const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(head)?.[1];
    if (!name || /\bfilename=/i.test(head)) continue;
    const value = part.slice(end + 4).replace(/\r\n$/, '');
    if (value.length <= 1024) fields[name] = Buffer.from(value, 'latin1').toString('utf8');
  }
  return fields;
}
