import { ProtocolError, TimeoutError } from '../../errors.js';

/** How much of a job's media is read, and how long a silent body is waited for. */
export interface MediaLimits {
  maxBytes: number;
  idleMs: number;
}

/**
 * Reads a job's media whole (the media is handed over as bytes), within bounds: a body larger than `maxBytes` is
 * cancelled with a ProtocolError, one that sends nothing for `idleMs` with a TimeoutError. Without them a server
 * that never ends a body would hold the job's wait forever, or grow this process's memory until it dies.
 */
export async function readMedia(response: Response, limits: MediaLimits, queueId: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > limits.maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge(limits, queueId);
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await readWithin(reader, limits.idleMs, queueId);
    if (done) break;
    size += value.length;
    if (size > limits.maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limits, queueId);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

function readWithin(reader: ReadableStreamDefaultReader<Uint8Array>, idleMs: number, queueId: string) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Rejected before the cancel ends the pending read: a cut body must not pass for a complete one.
      reject(new TimeoutError(`The job's media sent nothing for ${idleMs} ms: cut`, { queueId }));
      reader.cancel().catch(() => {});
    }, idleMs);
  });
  return Promise.race([reader.read(), idle]).finally(() => clearTimeout(timer));
}

const tooLarge = (limits: MediaLimits, queueId: string) =>
  new ProtocolError(`The job's media is larger than ${limits.maxBytes} bytes (maxMediaBytes): not read`, {
    queueId,
    maxBytes: limits.maxBytes,
  });
