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

const decoder = new TextDecoder();
const ignore = () => {};

/**
 * An answer from `wireFetch`: a `Response` whose `json()`, `text()` and `arrayBuffer()` read the socket's
 * stream directly. `body` (or `clone`, `blob`, `formData`) gets an ordinary stream-backed Response made on
 * first use, so everything a Response does still works.
 */
export class WireResponse extends Response {
  #source: NodeBody | null;
  #init: ResponseInit;
  #url: string;
  #signal: AbortSignal | undefined;
  #used = false;
  #real: Response | undefined;

  constructor(source: NodeBody | null, init: ResponseInit, url: string, signal: AbortSignal | undefined) {
    super(null, init);
    // A reset before anyone reads must not crash the process: the error waits in `errored` for the reader.
    source?.on('error', ignore);
    this.#source = source;
    this.#init = init;
    this.#url = url;
    this.#signal = signal;
  }

  #delegate(): Response {
    if (!this.#real) {
      const source = this.#source;
      this.#source = null;
      this.#real = new Response(source && !this.#used ? webStream(source, this.#signal) : null, this.#init);
    }
    return this.#real;
  }

  /** The whole body, read from the socket's stream. */
  #all(): Promise<Uint8Array> {
    if (this.#used) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    this.#used = true;
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
      source.on('end', () => resolve(concat(chunks, size)));
      source.on('error', fail);
    });
  }

  override get url() {
    return this.#url;
  }
  override get body() {
    return this.#used && !this.#real ? null : this.#delegate().body;
  }
  override get bodyUsed() {
    return this.#real ? this.#real.bodyUsed : this.#used;
  }
  override async arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#real) return this.#real.arrayBuffer();
    const bytes = await this.#all();
    return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? (bytes.buffer as ArrayBuffer)
      : (bytes.slice().buffer as ArrayBuffer);
  }
  override async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array(await this.arrayBuffer());
  }
  override async text(): Promise<string> {
    if (this.#real) return this.#real.text();
    return decoder.decode(await this.#all());
  }
  override async json(): Promise<any> {
    if (this.#real) return this.#real.json();
    return JSON.parse(decoder.decode(await this.#all()));
  }
  override async blob(): Promise<Blob> {
    if (this.#used && !this.#real) await this.#all(); // throws: already read
    return this.#delegate().blob();
  }
  override async formData(): Promise<FormData> {
    if (this.#used && !this.#real) await this.#all();
    return this.#delegate().formData();
  }
  override clone(): Response {
    if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
    return this.#delegate().clone();
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

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return plain(chunks[0]!);
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

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
