import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FaultRule } from '../faults.js';
import { audioSeconds, embed, replyText, sampleFromSchema, TINY_PNG, tinyWav } from '../generate.js';
import { countTokens, type SimModel, tokenCostMicros } from '../models.js';

export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.error));
  }
}

export interface Billed {
  costMicros: bigint;
  model: string;
  requestId: string;
  /** Response already written (streams). */
  streamed?: boolean;
  /** Set when a stream was cut: bill what was produced. */
  cut?: boolean;
}

export interface JsonAnswer extends Billed {
  body: unknown;
  contentType?: string;
  raw?: Buffer;
}

const CHAT_KEYS = new Set(
  'model messages temperature top_p top_k min_p min_temp max_temp frequency_penalty presence_penalty repetition_penalty max_completion_tokens max_tokens n seed stop stop_token_ids logprobs top_logprobs stream stream_options reasoning reasoning_effort response_format tools tool_choice parallel_tool_calls prompt_cache_key prompt_cache_retention verbosity text user store include metadata fallbacks venice_parameters anon_user_id'.split(
    ' ',
  ),
);

export function lookupModel(models: Map<string, SimModel>, id: unknown, type: SimModel['type']): SimModel {
  if (typeof id !== 'string') throw new HttpFailure(400, { error: 'model is required' });
  const base = id.split(':')[0]!; // model feature suffixes: `<model>:<key>=<value>`
  const model = models.get(base);
  if (!model || model.type !== type) throw new HttpFailure(404, { error: `Model ${base} not found` });
  return model;
}

export const textOf = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content.map((p: any) => (typeof p?.text === 'string' ? p.text : '')).join(' ')
      : '';

export interface ChatPlan {
  model: SimModel;
  promptTokens: number;
  pieces: string[];
  toolCalls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  requestId: string;
}

export function planChat(models: Map<string, SimModel>, body: any): ChatPlan {
  if (!body || typeof body !== 'object') throw new HttpFailure(400, { error: 'Body must be JSON' });
  for (const key of Object.keys(body)) {
    if (!CHAT_KEYS.has(key)) throw new HttpFailure(400, { error: `Unrecognized key in body: ${key}` });
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    throw new HttpFailure(400, { error: 'messages is required' });
  const model = lookupModel(models, body.model, 'text');
  const prompt = body.messages.map((m: any) => textOf(m?.content)).join('\n');
  const promptTokens = countTokens(prompt) + (body.tools ? countTokens(JSON.stringify(body.tools)) : 0);
  const maxTokens = Number(body.max_completion_tokens ?? body.max_tokens ?? 64);
  const last = body.messages.at(-1);
  const requestId = `chatcmpl-${randomUUID().replace(/-/g, '')}`;
  const toolCalls = planToolCalls(body, last);
  if (toolCalls) return { model, promptTokens, pieces: [], requestId, toolCalls };
  const format = body.response_format;
  if (format?.type === 'json_schema') {
    return {
      model,
      promptTokens,
      requestId,
      pieces: [JSON.stringify(sampleFromSchema(format.json_schema?.schema ?? {}))],
    };
  }
  if (format?.type === 'json_object') return { model, promptTokens, requestId, pieces: ['{"answer":"simulated"}'] };
  const userText = last?.role === 'tool' ? `tool result ${textOf(last.content)}` : textOf(last?.content);
  return { model, promptTokens, requestId, pieces: replyText(userText, maxTokens) };
}

type ToolCall = NonNullable<ChatPlan['toolCalls']>[number];

/**
 * Which tools the model calls, honouring `tool_choice`: `none` never; a named function always that one; `required`
 * always, even right after a tool result (an agent's structured-answer step); `auto` unless it just got a tool result.
 * Every tool the last user turn names is called, in parallel, unless `parallel_tool_calls` is false.
 */
function planToolCalls(body: any, last: any): ToolCall[] | undefined {
  const tools: any[] = (Array.isArray(body.tools) ? body.tools : []).filter((t: any) => t?.function?.name);
  const choice = body.tool_choice ?? 'auto';
  if (!tools.length || choice === 'none') return undefined;
  let chosen: any[];
  if (typeof choice === 'object') {
    const tool = tools.find((t) => t.function.name === choice?.function?.name);
    if (!tool) throw new HttpFailure(400, { error: 'tool_choice names a function that is not in tools' });
    chosen = [tool];
  } else {
    if (choice !== 'required' && last?.role === 'tool') return undefined;
    const asked = textOf(last?.content).toLowerCase();
    const named = tools.filter((t) => asked.includes(String(t.function.name).toLowerCase()));
    chosen = named.length ? named : [tools[0]];
    if (body.parallel_tool_calls === false) chosen = chosen.slice(0, 1);
  }
  return chosen.map((tool) => ({
    id: `call_${randomUUID().replace(/-/g, '').slice(0, 12)}`,
    type: 'function' as const,
    function: {
      name: String(tool.function.name),
      arguments: JSON.stringify(sampleFromSchema(tool.function.parameters ?? { type: 'object' })),
    },
  }));
}

export function chatCost(plan: ChatPlan, completionTokens: number) {
  const p = plan.model.pricing;
  return tokenCostMicros(plan.promptTokens, p.input) + tokenCostMicros(completionTokens, p.output);
}

export const completionTokensOf = (plan: ChatPlan) =>
  plan.toolCalls ? countTokens(plan.toolCalls.map((c) => c.function.arguments).join('')) : plan.pieces.length;

const usd = (micros: bigint) => Number(micros) / 1e6;

/** `seal`: an E2EE answer's content is sealed to the client (routes/tee.ts). */
export function chatJson(models: Map<string, SimModel>, body: any, seal = (text: string) => text): JsonAnswer {
  const plan = planChat(models, body);
  const completionTokens = completionTokensOf(plan);
  const costMicros = chatCost(plan, completionTokens);
  return {
    requestId: plan.requestId,
    model: plan.model.id,
    costMicros,
    body: {
      id: plan.requestId,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: plan.model.id,
      choices: [
        {
          index: 0,
          message: plan.toolCalls
            ? { role: 'assistant', content: null, tool_calls: plan.toolCalls }
            : { role: 'assistant', content: seal(plan.pieces.join('')) },
          finish_reason: plan.toolCalls ? 'tool_calls' : 'stop',
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: plan.promptTokens,
        completion_tokens: completionTokens,
        total_tokens: plan.promptTokens + completionTokens,
      },
      cost: { usd: usd(costMicros), diem: 0 },
      ...(body.venice_parameters ? { venice_parameters: body.venice_parameters } : {}),
    },
  };
}

/**
 * Streams a chat completion as SSE. The final `choices: []` chunk carries usage and cost (Venice sends
 * it regardless of stream_options). A cut fault ends the socket mid-way; the server still bills the
 * tokens it produced.
 */
export async function chatStream(
  models: Map<string, SimModel>,
  body: any,
  res: ServerResponse,
  fault: FaultRule | undefined,
  headers: Record<string, string>,
  seal = (text: string) => text,
): Promise<Billed> {
  const plan = planChat(models, body);
  const created = Math.floor(Date.now() / 1000);
  const base = { id: plan.requestId, object: 'chat.completion.chunk', created, model: plan.model.id };
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...headers,
  });
  const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
  const delay = fault?.kind === 'slow_stream' ? (fault.delayMs ?? 50) : 0;
  const cutAfter = fault?.kind === 'cut_stream' ? (fault.cutAfterChunks ?? 2) : Number.POSITIVE_INFINITY;
  const frames: unknown[] = [];
  if (plan.toolCalls) {
    plan.toolCalls.forEach((call, index) => {
      const head = { index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } };
      frames.push({
        ...base,
        choices: [
          {
            index: 0,
            delta: index === 0 ? { role: 'assistant', tool_calls: [head] } : { tool_calls: [head] },
            finish_reason: null,
          },
        ],
      });
      const args = call.function.arguments;
      for (let i = 0; i < args.length; i += 16) {
        frames.push({
          ...base,
          choices: [
            {
              index: 0,
              delta: { tool_calls: [{ index, function: { arguments: args.slice(i, i + 16) } }] },
              finish_reason: null,
            },
          ],
        });
      }
    });
    frames.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] });
  } else {
    plan.pieces.forEach((piece, i) => {
      frames.push({
        ...base,
        choices: [
          {
            index: 0,
            delta: i === 0 ? { role: 'assistant', content: seal(piece) } : { content: seal(piece) },
            finish_reason: null,
          },
        ],
      });
    });
    frames.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
  }
  let sent = 0;
  for (const frame of frames) {
    if (sent >= cutAfter || res.destroyed) {
      const produced = Math.min(sent, plan.pieces.length || completionTokensOf(plan));
      await new Promise((r) => setTimeout(r, 10)); // let the frames written so far reach the client
      res.destroy();
      return {
        requestId: plan.requestId,
        model: plan.model.id,
        costMicros: chatCost(plan, produced),
        streamed: true,
        cut: true,
      };
    }
    if (delay) await new Promise((r) => setTimeout(r, delay));
    send(frame);
    sent++;
  }
  const completionTokens = completionTokensOf(plan);
  const costMicros = chatCost(plan, completionTokens);
  send({
    ...base,
    choices: [],
    usage: {
      prompt_tokens: plan.promptTokens,
      completion_tokens: completionTokens,
      total_tokens: plan.promptTokens + completionTokens,
    },
    cost: { usd: usd(costMicros), diem: 0 },
  });
  res.end('data: [DONE]\n\n');
  return { requestId: plan.requestId, model: plan.model.id, costMicros, streamed: true };
}

export function embeddings(models: Map<string, SimModel>, body: any): JsonAnswer {
  if (!body || typeof body !== 'object') throw new HttpFailure(400, { error: 'Body must be JSON' });
  for (const key of Object.keys(body)) {
    if (!['model', 'input', 'encoding_format', 'dimensions', 'user'].includes(key)) {
      throw new HttpFailure(400, { error: `Unrecognized key in body: ${key}` });
    }
  }
  const model = lookupModel(models, body.model, 'embedding');
  const inputs: unknown[] = typeof body.input === 'string' ? [body.input] : body.input;
  if (
    !Array.isArray(inputs) ||
    inputs.length < 1 ||
    inputs.length > 2048 ||
    inputs.some((s) => typeof s !== 'string' || s.length === 0)
  ) {
    throw new HttpFailure(400, { error: 'input must be a non-empty string or an array of 1-2048 non-empty strings' });
  }
  const dims =
    Number.isInteger(body.dimensions) && body.dimensions > 0 ? body.dimensions : (model.embeddingDimensions ?? 64);
  const tokens = inputs.reduce<number>((n, s) => n + countTokens(s as string), 0);
  const requestId = `emb-${randomUUID().replace(/-/g, '')}`;
  const data = inputs.map((text, index) => {
    const vector = embed(text as string, dims);
    return {
      object: 'embedding',
      index,
      embedding:
        body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
    };
  });
  return {
    requestId,
    model: model.id,
    costMicros: tokenCostMicros(tokens, model.pricing.input),
    body: { object: 'list', model: model.id, data, usage: { prompt_tokens: tokens, total_tokens: tokens } },
  };
}

export function images(models: Map<string, SimModel>, body: any): JsonAnswer {
  const model = lookupModel(models, body?.model, 'image');
  if (typeof body.prompt !== 'string' || !body.prompt) throw new HttpFailure(400, { error: 'prompt is required' });
  const n = Math.min(4, Math.max(1, Number(body.n ?? 1)));
  const b64 = TINY_PNG.toString('base64');
  return {
    requestId: `img-${randomUUID().replace(/-/g, '')}`,
    model: model.id,
    costMicros: BigInt(Math.ceil((model.pricing.generation ?? 0) * 1e6)) * BigInt(n),
    body: { created: Math.floor(Date.now() / 1000), data: Array.from({ length: n }, () => ({ b64_json: b64 })) },
  };
}

export function speech(models: Map<string, SimModel>, body: any): JsonAnswer {
  const model = lookupModel(models, body?.model, 'tts');
  if (typeof body.input !== 'string' || !body.input) throw new HttpFailure(400, { error: 'input is required' });
  return {
    requestId: `tts-${randomUUID().replace(/-/g, '')}`,
    model: model.id,
    costMicros: tokenCostMicros(body.input.length, model.pricing.input),
    body: undefined,
    raw: tinyWav(Math.min(16_000, body.input.length * 400)),
    contentType: 'audio/wav',
  };
}

export async function transcription(models: Map<string, SimModel>, form: FormData): Promise<JsonAnswer> {
  const model = lookupModel(models, form.get('model'), 'asr');
  const file = form.get('file');
  if (!file || typeof file === 'string') throw new HttpFailure(400, { error: 'file is required' });
  const seconds = audioSeconds(new Uint8Array(await (file as Blob).arrayBuffer()));
  return {
    requestId: `asr-${randomUUID().replace(/-/g, '')}`,
    model: model.id,
    costMicros: BigInt(Math.ceil(seconds * (model.pricing.per_audio_second ?? 0) * 1e6)),
    body: { text: `Simulated transcription of ${seconds} seconds of audio.`, duration: seconds },
  };
}
