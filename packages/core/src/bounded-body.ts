import { ProtocolError, TimeoutError } from './errors.js';

/** How much of a body is read, and how long a silent body is waited for. */
export interface BodyLimits {
  maxBytes: number;
  idleMs: number;
}

/** What a body is, for the errors: `what` starts their sentence ("The job's media"), `details` go with them. */
export interface BodyLabel {
  what: string;
  details?: Record<string, unknown>;
}

/**
 * Reads a server's body whole, within bounds: one larger than `maxBytes` is cancelled with a ProtocolError, one that
 * sends nothing for `idleMs` with a TimeoutError. Without them a server that never ends a body holds its reader
 * forever, or grows this process's memory until it dies.
 */
export async function readBounded(response: Response, limits: BodyLimits, label: BodyLabel): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > limits.maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge(limits, label);
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await readWithin(reader, limits.idleMs, label);
    if (done) break;
    size += value.length;
    if (size > limits.maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limits, label);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

function readWithin(reader: ReadableStreamDefaultReader<Uint8Array>, idleMs: number, label: BodyLabel) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Rejected before the cancel ends the pending read: a cut body must not pass for a complete one.
      reject(new TimeoutError(`${label.what} sent nothing for ${idleMs} ms: cut`, label.details));
      reader.cancel().catch(() => {});
    }, idleMs);
  });
  return Promise.race([reader.read(), idle]).finally(() => clearTimeout(timer));
}

const tooLarge = (limits: BodyLimits, label: BodyLabel) =>
  new ProtocolError(`${label.what} is larger than ${limits.maxBytes} bytes: not read`, {
    ...label.details,
    maxBytes: limits.maxBytes,
  });
