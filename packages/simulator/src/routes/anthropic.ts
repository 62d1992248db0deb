import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { countTokens } from '../models.js';

/** One Anthropic-shaped `/v1/messages` answer, planned before it is sent (a usage-based payment settles first). */
export interface AnthropicPlan {
  id: string;
  model: string;
  text: string;
  usage: { input_tokens: number; output_tokens: number };
}

export function planAnthropic(body: any): AnthropicPlan {
  const last = Array.isArray(body.messages) ? body.messages.at(-1) : undefined;
  const prompt = typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content ?? '');
  const text = `Simulated reply to "${prompt.slice(0, 48)}": paid per call.`;
  return {
    id: `msg_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    model: String(body.model ?? 'claude-haiku-4-5'),
    text,
    usage: { input_tokens: countTokens(JSON.stringify(body.messages ?? '')), output_tokens: countTokens(text) },
  };
}

/** Sends the planned message as JSON, or as Anthropic's SSE events when `stream`. */
export function anthropicMessage(plan: AnthropicPlan, stream: boolean, res: ServerResponse, receipt: string) {
  const { id, model, text, usage } = plan;
  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json', 'payment-response': receipt });
    res.end(
      JSON.stringify({
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage,
      }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'payment-response': receipt });
  const ev = (name: string, data: unknown) => res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  ev('message_start', {
    type: 'message_start',
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: usage.input_tokens, output_tokens: 0 },
    },
  });
  ev('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
  for (const piece of text.match(/.{1,12}/g) ?? [])
    ev('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } });
  ev('content_block_stop', { type: 'content_block_stop', index: 0 });
  ev('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: usage.output_tokens },
  });
  ev('message_stop', { type: 'message_stop' });
  res.end();
}
