import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FaultRule } from '../faults.js';
import type { SimModel } from '../models.js';
import {
  type Billed,
  type ChatPlan,
  chatCost,
  completionTokensOf,
  HttpFailure,
  type JsonAnswer,
  planChat,
  textOf,
} from './inference.js';

/**
 * `/responses` (OpenAI Responses API shape), billed like chat: the request is read as the chat request it stands for,
 * and the answer is the same plan (text, tool calls, structured output) in Responses items. No `cost` field: Venice's
 * Responses schema has none, so clients settle from usage × price.
 */

const id = (prefix: string) => `${prefix}_${randomUUID().replace(/-/g, '')}`;

function toChatBody(body: any): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new HttpFailure(400, { error: 'Body must be JSON' });
  if (body.input === undefined) throw new HttpFailure(400, { error: 'input is required' });
  const messages: any[] = [];
  if (typeof body.instructions === 'string') messages.push({ role: 'system', content: body.instructions });
  const items = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : body.input;
  if (!Array.isArray(items)) throw new HttpFailure(400, { error: 'input must be a string or an array of items' });
  for (const item of items) {
    if (item?.type === 'function_call_output')
      messages.push({ role: 'tool', content: textOf(item.output) || String(item.output ?? '') });
    else if (item?.type === 'function_call')
      messages.push({
        role: 'assistant',
        content: null,
        tool_calls: [{ id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } }],
      });
    else if (typeof item?.role === 'string') messages.push({ role: item.role, content: item.content });
  }
  if (!messages.length) throw new HttpFailure(400, { error: 'input has no messages' });
  const tools = (Array.isArray(body.tools) ? body.tools : [])
    .filter((t: any) => t?.type === 'function' && typeof t.name === 'string')
    .map((t: any) => ({ type: 'function', function: { name: t.name, parameters: t.parameters } }));
  const choice = body.tool_choice;
  const format = body.text?.format;
  return {
    model: body.model,
    messages,
    ...(body.max_output_tokens !== undefined ? { max_tokens: body.max_output_tokens } : {}),
    ...(tools.length ? { tools } : {}),
    ...(choice !== undefined
      ? { tool_choice: typeof choice === 'object' ? { type: 'function', function: { name: choice?.name } } : choice }
      : {}),
    ...(body.parallel_tool_calls !== undefined ? { parallel_tool_calls: body.parallel_tool_calls } : {}),
    ...(format?.type === 'json_schema'
      ? { response_format: { type: 'json_schema', json_schema: { schema: format.schema } } }
      : {}),
  };
}

function outputItems(plan: ChatPlan) {
  if (plan.toolCalls) {
    return plan.toolCalls.map((c) => ({
      type: 'function_call',
      id: id('fc'),
      call_id: c.id,
      name: c.function.name,
      arguments: c.function.arguments,
      status: 'completed',
    }));
  }
  return [
    {
      type: 'message',
      id: id('msg'),
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: plan.pieces.join(''), annotations: [] }],
    },
  ];
}

function responseObject(plan: ChatPlan, status: string, output: unknown[], completionTokens?: number) {
  return {
    id: plan.requestId,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    model: plan.model.id,
    output,
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    usage:
      completionTokens === undefined
        ? null
        : {
            input_tokens: plan.promptTokens,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: completionTokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: plan.promptTokens + completionTokens,
          },
  };
}

function plan(models: Map<string, SimModel>, body: any): ChatPlan {
  return { ...planChat(models, toChatBody(body)), requestId: id('resp') };
}

export function responsesJson(models: Map<string, SimModel>, body: any): JsonAnswer {
  const p = plan(models, body);
  const completionTokens = completionTokensOf(p);
  return {
    requestId: p.requestId,
    model: p.model.id,
    costMicros: chatCost(p, completionTokens),
    body: responseObject(p, 'completed', outputItems(p), completionTokens),
  };
}

/** Streams the Responses event sequence; a cut fault ends the socket and bills what was produced. */
export async function responsesStream(
  models: Map<string, SimModel>,
  body: any,
  res: ServerResponse,
  fault: FaultRule | undefined,
): Promise<Billed> {
  const p = plan(models, body);
  const items = outputItems(p);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  let sequence = 0;
  const events: Record<string, unknown>[] = [];
  const push = (type: string, data: Record<string, unknown>) =>
    events.push({ type, sequence_number: sequence++, ...data });
  push('response.created', { response: responseObject(p, 'in_progress', []) });
  items.forEach((item: any, output_index) => {
    if (item.type === 'function_call') {
      push('response.output_item.added', { output_index, item: { ...item, arguments: '', status: 'in_progress' } });
      for (let i = 0; i < item.arguments.length; i += 16)
        push('response.function_call_arguments.delta', {
          item_id: item.id,
          output_index,
          delta: item.arguments.slice(i, i + 16),
        });
      push('response.function_call_arguments.done', { item_id: item.id, output_index, arguments: item.arguments });
    } else {
      push('response.output_item.added', { output_index, item: { ...item, content: [], status: 'in_progress' } });
      const part = { type: 'output_text', text: '', annotations: [] };
      push('response.content_part.added', { item_id: item.id, output_index, content_index: 0, part });
      for (const delta of p.pieces)
        push('response.output_text.delta', { item_id: item.id, output_index, content_index: 0, delta });
      const text = p.pieces.join('');
      push('response.output_text.done', { item_id: item.id, output_index, content_index: 0, text });
      push('response.content_part.done', { item_id: item.id, output_index, content_index: 0, part: { ...part, text } });
    }
    push('response.output_item.done', { output_index, item });
  });
  const delay = fault?.kind === 'slow_stream' ? (fault.delayMs ?? 50) : 0;
  const cutAfter = fault?.kind === 'cut_stream' ? (fault.cutAfterChunks ?? 2) : Number.POSITIVE_INFINITY;
  let produced = 0;
  for (const [i, event] of events.entries()) {
    if (i >= cutAfter || res.destroyed) {
      await new Promise((r) => setTimeout(r, 10));
      res.destroy();
      return {
        requestId: p.requestId,
        model: p.model.id,
        costMicros: chatCost(p, produced),
        streamed: true,
        cut: true,
      };
    }
    if (delay) await new Promise((r) => setTimeout(r, delay));
    if (String(event.type).endsWith('.delta')) produced++;
    res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  }
  const completionTokens = completionTokensOf(p);
  const done = {
    type: 'response.completed',
    sequence_number: sequence,
    response: responseObject(p, 'completed', items, completionTokens),
  };
  res.end(`event: response.completed\ndata: ${JSON.stringify(done)}\n\n`);
  return { requestId: p.requestId, model: p.model.id, costMicros: chatCost(p, completionTokens), streamed: true };
}
