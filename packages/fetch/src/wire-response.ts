import { concatBytes, DeferredBodyResponse } from './deferred-body-response.js';

/** The body of an answer as Node's HTTP client hands it over: a Node Readable of bytes. */
export interface NodeBody extends AsyncIterable<Uint8Array> {
  on(event: 'data', listener: (chunk: Uint8Array) => void): this;
  on(event: 'end', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  resume(): unknown;
  destroy(error?: Error): unknown;
  /** The error the stream ended with, if it did (Node ≥ 18). */
  readonly errored: Error | null;
}

const ignore = () => {};

/**
 * An answer from `wireFetch`, whose `json()`, `text()` and `arrayBuffer()` read the socket's stream directly;
 * `body` makes a web stream over it on first use.
 */
export class WireResponse extends DeferredBodyResponse {
  #source: NodeBody | null;
  #signal: AbortSignal | undefined;

  constructor(source: NodeBody | null, init: ResponseInit, url: string, signal: AbortSignal | undefined) {
    super(init, url);
    // A reset before anyone reads must not crash the process: the error waits in `errored` for the reader.
    source?.on('error', ignore);
    this.#source = source;
    this.#signal = signal;
  }

  protected override source(): BodyInit | null {
    const source = this.#source;
    this.#source = null;
    return source && webStream(source, this.#signal);
  }

  protected override readAll(): Promise<Uint8Array> {
    const source = this.#source;
    this.#source = null;
    if (!source) return Promise.resolve(new Uint8Array(0));
    const signal = this.#signal;
    return new Promise((resolve, reject) => {
      const fail = (error: Error) =>
        reject(signal?.aborted ? signal.reason : new TypeError('terminated', { cause: error }));
      if (source.errored) return fail(source.errored);
      const chunks: Uint8Array[] = [];
      let size = 0;
      source.on('data', (chunk) => {
        chunks.push(chunk);
        size += chunk.length;
      });
      source.on('end', () => resolve(plain(concatBytes(chunks, size))));
      source.on('error', fail);
    });
  }
}

/** A Node Buffer as the plain Uint8Array fetch hands out (same memory). */
const plain = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
/**
 * A chunk that owns its memory, as fetch's are: the socket's chunks are views into the read buffer, whose
 * `.buffer` also holds the status line, the headers and the chunk framing.
 */
const own = (b: Uint8Array) =>
  b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? plain(b) : new Uint8Array(b);

/** A web stream over the socket's stream, read as the consumer pulls; cancelling it closes the answer. */
function webStream(source: NodeBody, signal: AbortSignal | undefined): ReadableStream<Uint8Array> {
  const chunks = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(own(next.value));
        } catch (error) {
          controller.error(signal?.aborted ? signal.reason : new TypeError('terminated', { cause: error }));
        }
      },
      cancel() {
        source.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}
