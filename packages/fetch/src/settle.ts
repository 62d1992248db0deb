import { type Micros, TimeoutError, usdToMicros } from '@venice-x402/core';
import { parseUsdString } from '@venice-x402/core/internal';
import { type Clock, systemClock } from './clock.js';
import { completeLinesEnd, MAX_SSE_LINE_CHARS, sseLines } from './sse-lines.js';

export interface Usage {
  promptTokens?: number;
  completionTokens?: number;
}

/** What a finished response says about its own cost. */
export interface BodyFacts {
  costMicros?: Micros;
  usage?: Usage;
  requestId?: string;
  model?: string;
  images?: number;
  audioSeconds?: number;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

function usageOf(u: any): Usage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const prompt = num(u.prompt_tokens) ?? num(u.input_tokens);
  const completion = num(u.completion_tokens) ?? num(u.output_tokens) ?? 0;
  return prompt === undefined && completion === 0
    ? undefined
    : { promptTokens: prompt ?? 0, completionTokens: completion };
}

/** Facts from a complete JSON body (chat, embeddings, images, transcription). Never throws. */
export function factsFromJson(body: unknown): BodyFacts {
  if (!body || typeof body !== 'object') return {};
  const b = body as Record<string, any>;
  const costUsd = num(b.cost?.usd);
  return {
    costMicros: costUsd === undefined ? undefined : usdToMicros(costUsd),
    usage: usageOf(b.usage),
    // A queued video or music job is known (and charged) by its queue id.
    requestId: typeof b.id === 'string' ? b.id : typeof b.queue_id === 'string' ? b.queue_id : undefined,
    model: typeof b.model === 'string' ? b.model : undefined,
    images: Array.isArray(b.data) && b.data.some((d: any) => d?.b64_json || d?.url) ? b.data.length : undefined,
    audioSeconds: num(b.duration),
  };
}

export function balanceFromHeaders(headers: Headers): Micros | undefined {
  return parseUsdString(headers.get('x-balance-remaining'));
}

export interface SseOutcome extends BodyFacts {
  /** `[DONE]` or a terminal event was seen. */
  done: boolean;
  /** The stream errored or was cancelled before it finished. */
  cut: boolean;
  /** Content / tool-call frames seen: servers stream about one token per frame, which is what a cut stream bills. */
  streamedTokens: number;
  /** An in-band error frame (`data: {"error": …}`). */
  error?: string;
  /** A line over `MAX_SSE_LINE_CHARS` went by unread: what it said about usage or cost is unknown. */
  unreadLine?: boolean;
}

/** Watches a body passing through; `end` runs once, with `cut` when it did not finish normally. */
interface Watcher {
  chunk(bytes: Uint8Array): void;
  /** A promise it returns holds back the end of the body until it settles. */
  end(cut: boolean, error?: unknown): unknown;
}

/**
 * Passes a body through chunk by chunk — nothing is read ahead of the consumer (highWaterMark 0) — while a
 * watcher sees every chunk. A body that moves nothing for `idleMs` (a stalled server, or a consumer that
 * never reads) is cut with a TimeoutError, so its in-flight slot and hold are freed. A body that ends normally
 * ends for the consumer only once the watcher's `end` has settled: whoever reads a stream to its end finds the
 * call already settled.
 */
export function passThrough(
  body: ReadableStream<Uint8Array>,
  watcher: Watcher,
  idleMs: number,
  clock: Clock,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let finished = false;
  let timer: unknown;
  let ctrl: ReadableStreamDefaultController<Uint8Array>;
  const finish = (cut: boolean, error?: unknown) => {
    clock.clearTimeout(timer);
    if (finished) return undefined;
    finished = true;
    try {
      return Promise.resolve(watcher.end(cut, error)).catch(() => {});
    } catch {
      return undefined;
    }
  };
  const arm = () => {
    clock.clearTimeout(timer);
    timer = clock.setTimeout(
      () => {
        const error = new TimeoutError(`The answer sent nothing for ${idleMs} ms: cut`);
        finish(true, error);
        reader.cancel(error).catch(() => {});
        try {
          ctrl.error(error);
        } catch {}
      },
      idleMs,
      { unref: true },
    );
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        ctrl = controller;
        arm();
      },
      async pull(controller) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (error) {
          finish(true, error);
          controller.error(error);
          return;
        }
        if (finished) return;
        if (result.done) {
          await finish(false);
          controller.close();
          return;
        }
        try {
          watcher.chunk(result.value);
        } catch {
          // Watching must never break the stream itself.
        }
        arm();
        controller.enqueue(result.value);
      },
      cancel(reason) {
        finish(true, reason);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Reads one SSE event's data into `state`; false when it is not an event of ours (not JSON, not `[DONE]`). */
function readSseFrame(state: SseOutcome, data: string): boolean {
  if (data === '[DONE]') {
    state.done = true;
    return true;
  }
  let json: any;
  try {
    json = JSON.parse(data);
  } catch {
    return false; // not JSON: not ours to judge
  }
  if (!json || typeof json !== 'object') return false;
  // Chat chunks carry id/model/usage at the top; Anthropic under `message`; Responses events under `response`.
  const inner = json.message ?? json.response;
  state.requestId ??= typeof json.id === 'string' ? json.id : (inner?.id as string | undefined);
  state.model ??= typeof json.model === 'string' ? json.model : (inner?.model as string | undefined);
  if (json.error) {
    state.error = String(json.error?.message ?? json.error).slice(0, 200);
    state.done = true;
  }
  const usage = usageOf(json.usage ?? inner?.usage);
  if (usage) state.usage = { ...state.usage, ...Object.fromEntries(Object.entries(usage).filter(([, v]) => v)) };
  const cost = num(json.cost?.usd);
  if (cost !== undefined) state.costMicros = usdToMicros(cost);
  if (json.type === 'message_stop' || json.type === 'response.completed') state.done = true;
  const delta = json.choices?.[0]?.delta ?? json.delta;
  const text =
    (typeof delta?.content === 'string' ? delta.content : '') +
    (typeof delta?.text === 'string' ? delta.text : '') +
    (typeof delta === 'string' ? delta : '') +
    (typeof delta?.reasoning_content === 'string' ? delta.reasoning_content : '') +
    (Array.isArray(delta?.tool_calls) ? delta.tool_calls.map((c: any) => c?.function?.arguments ?? '').join('') : '');
  if (text) state.streamedTokens += 1;
  return true;
}

/**
 * An SSE body passed through while its frames are watched for usage, cost and the end marker. `onEnd`
 * runs exactly once: at the end, on an upstream error, on an idle cut, or when the consumer cancels.
 */
export function tapSse(
  body: ReadableStream<Uint8Array>,
  onEnd: (outcome: SseOutcome) => unknown,
  idleMs = 120_000,
  clock: Clock = systemClock,
): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  const state: SseOutcome = { done: false, cut: false, streamedTokens: 0 };
  let pending = '';
  let skipping = false; // inside a line over the limit, dropped unread up to its end

  // One frame of a shape nobody expected is skipped, never the frames after it (a cost, the end).
  const watchFrame = (data: string): boolean => {
    try {
      return readSseFrame(state, data);
    } catch {
      return true; // JSON of a shape nobody expected: read (as far as it went), not to be read again joined
    }
  };

  // The data lines of the event being read. The SSE format joins an event's data lines with "\n", so a server may
  // split one JSON event over several. Each line is read on its own first (most servers send one per event, and some
  // never send the blank line that ends one); an event none of whose lines was ours is read again, joined, at its end.
  let event: string[] = [];
  let eventChars = 0;
  let eventRead = false;
  let eventCut = false; // part of it went unread (a line over the limit, or the event grew past it)
  const eventLine = (value: string) => {
    if (watchFrame(value)) eventRead = true;
    if (eventCut) return;
    eventChars += value.length;
    if (eventChars > MAX_SSE_LINE_CHARS) {
      event = [];
      eventCut = true;
    } else event.push(value);
  };
  const endEvent = () => {
    if (event.length > 1 && !eventRead && !eventCut) watchFrame(event.join('\n'));
    event = [];
    eventChars = 0;
    eventRead = false;
    eventCut = false;
  };
  let lastCR = false; // the text so far ends with CR: an LF that starts the next chunk is the rest of that line end

  return passThrough(
    body,
    {
      chunk(bytes) {
        // Only the new text is searched for a line end (what is held has none): a line sent in small pieces costs
        // its length once, not once per piece.
        let text = decoder.decode(bytes, { stream: true });
        if (lastCR && text.startsWith('\n')) {
          text = text.slice(1);
          lastCR = false;
        }
        if (text) lastCR = text.endsWith('\r');
        const end = completeLinesEnd(text);
        if (end < 0) {
          // A line that never ends is passed through but not held: past the limit it is dropped unread, up to its end.
          if (skipping) return;
          pending += text;
          if (pending.length > MAX_SSE_LINE_CHARS) {
            pending = '';
            skipping = true;
            state.unreadLine = true;
          }
          return;
        }
        const lines = sseLines(pending + text.slice(0, end));
        lines.pop(); // what follows the last line end: nothing (the text was cut there), not a blank line
        if (skipping) {
          lines.shift(); // the end of the line dropped unread
          eventCut = true;
        }
        skipping = false;
        for (const line of lines) {
          if (line.length > MAX_SSE_LINE_CHARS) {
            state.unreadLine = true;
            eventCut = true;
          } else if (line === '') endEvent();
          else if (line.startsWith('data:')) eventLine(line.slice(5).trimStart());
        }
        pending = text.slice(end);
      },
      end(cut) {
        endEvent(); // an event the stream did not close with a blank line is still read
        state.cut = cut && !state.done;
        return onEnd(state);
      },
    },
    idleMs,
    clock,
  );
}

const TAIL_BYTES = 64 * 1024;

/**
 * A JSON body too large to buffer, passed through while its head and tail are kept: cost and usage sit at
 * the end of an OpenAI-style body, the id at its start. Memory stays bounded whatever the body's size.
 */
export function tapLargeJson(
  body: ReadableStream<Uint8Array>,
  onEnd: (facts: BodyFacts, cut: boolean) => unknown,
  idleMs: number,
  clock: Clock,
): ReadableStream<Uint8Array> {
  let head = '';
  // The last chunks, at least TAIL_BYTES of them once there are: kept as a list, so that a body sent in tiny pieces
  // costs a copy of each piece, not of the whole tail per piece.
  let tail: Uint8Array[] = [];
  let first = 0; // chunks before this one are no longer needed
  let tailBytes = 0;
  return passThrough(
    body,
    {
      chunk(bytes) {
        if (head.length < 4096) head += Buffer.from(bytes.subarray(0, 4096)).toString('utf8');
        tail.push(bytes);
        tailBytes += bytes.length;
        while (tailBytes - tail[first]!.length >= TAIL_BYTES) tailBytes -= tail[first++]!.length;
        if (first > 1024) {
          tail = tail.slice(first);
          first = 0;
        }
      },
      end(cut) {
        const kept = Buffer.concat(tail.slice(first));
        return onEnd(factsFromText(head, kept.subarray(Math.max(0, kept.length - TAIL_BYTES)).toString('utf8')), cut);
      },
    },
    idleMs,
    clock,
  );
}

/** Facts read with patterns from the head and tail of a JSON body that was never parsed whole. */
function factsFromText(head: string, tail: string): BodyFacts {
  const n = (re: RegExp, s: string) => {
    const m = re.exec(s);
    const v = m ? Number(m[1]) : Number.NaN;
    return Number.isFinite(v) && v >= 0 ? v : undefined;
  };
  // Usage and cost close an OpenAI-style body; a short head may carry them too.
  const pick = (re: RegExp) => n(re, tail) ?? n(re, head);
  const costUsd = pick(/"cost"\s*:\s*\{[^{}]*"usd"\s*:\s*([0-9.eE+-]+)/);
  const prompt = pick(/"(?:prompt|input)_tokens"\s*:\s*(\d+)/);
  const completion = pick(/"(?:completion|output)_tokens"\s*:\s*(\d+)/);
  return {
    costMicros: costUsd === undefined ? undefined : usdToMicros(costUsd),
    usage:
      prompt === undefined && completion === undefined
        ? undefined
        : { promptTokens: prompt ?? 0, completionTokens: completion ?? 0 },
    requestId: /^\s*\{\s*"id"\s*:\s*"([^"]{1,200})"/.exec(head)?.[1],
    model: /"model"\s*:\s*"([^"]{1,200})"/.exec(head)?.[1],
  };
}
