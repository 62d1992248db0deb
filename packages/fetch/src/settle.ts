import { type Micros, parseUsdString, usdToMicros } from '@venice-x402/core';

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
    requestId: typeof b.id === 'string' ? b.id : undefined,
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
}

/**
 * Passes an SSE body through chunk by chunk — nothing is read ahead of the consumer (highWaterMark 0) —
 * while watching frames for usage, cost and the end marker. `onEnd` runs exactly once: at the end, on
 * an upstream error, or when the consumer cancels.
 */
export function tapSse(
  body: ReadableStream<Uint8Array>,
  onEnd: (outcome: SseOutcome) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const state: SseOutcome = { done: false, cut: false, streamedTokens: 0 };
  let pending = '';
  let finished = false;

  const finish = (cut: boolean) => {
    if (finished) return;
    finished = true;
    state.cut = cut && !state.done;
    onEnd(state);
  };

  const frame = (data: string) => {
    if (data === '[DONE]') {
      state.done = true;
      return;
    }
    let json: any;
    try {
      json = JSON.parse(data);
    } catch {
      return; // not JSON: not ours to judge
    }
    if (!json || typeof json !== 'object') return;
    state.requestId ??= typeof json.id === 'string' ? json.id : (json.message?.id as string | undefined);
    state.model ??= typeof json.model === 'string' ? json.model : (json.message?.model as string | undefined);
    if (json.error) {
      state.error = String(json.error?.message ?? json.error).slice(0, 200);
      state.done = true;
    }
    const usage = usageOf(json.usage ?? json.message?.usage);
    if (usage) state.usage = { ...state.usage, ...Object.fromEntries(Object.entries(usage).filter(([, v]) => v)) };
    const cost = num(json.cost?.usd);
    if (cost !== undefined) state.costMicros = usdToMicros(cost);
    if (json.type === 'message_stop') state.done = true;
    const delta = json.choices?.[0]?.delta ?? json.delta;
    const text =
      (typeof delta?.content === 'string' ? delta.content : '') +
      (typeof delta?.text === 'string' ? delta.text : '') +
      (typeof delta?.reasoning_content === 'string' ? delta.reasoning_content : '') +
      (delta?.tool_calls?.map?.((c: any) => c?.function?.arguments ?? '').join('') ?? '');
    if (text) state.streamedTokens += 1;
  };

  const scan = (chunk: Uint8Array) => {
    pending += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      if (line.startsWith('data:')) frame(line.slice(5).trimStart());
    }
  };

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (error) {
          finish(true);
          controller.error(error);
          return;
        }
        if (result.done) {
          finish(!state.done);
          controller.close();
          return;
        }
        try {
          scan(result.value);
        } catch {
          // Watching must never break the stream itself.
        }
        controller.enqueue(result.value);
      },
      cancel(reason) {
        finish(true);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
