import { describe, expect, it } from 'vitest';
import { SettledResponse } from '../src/settled-response.js';

const body = { id: 'chatcmpl-1', choices: [{ message: { content: 'ok' } }] };
const make = (parsed: unknown = structuredClone(body), text = JSON.stringify(body)) => settled(parsed, text);
const settled = (parsed: unknown, text: string) =>
  new SettledResponse(
    new TextEncoder().encode(text),
    parsed,
    { status: 200, statusText: 'OK', headers: new Headers({ 'content-type': 'application/json', 'x-a': '1' }) },
    'https://api.venice.ai/api/v1/chat/completions',
  );

describe('SettledResponse: a Response served from bytes already read', () => {
  it('behaves as a Response: status, headers, url, instanceof', () => {
    const r = make();
    expect(r).toBeInstanceOf(Response);
    expect([r.status, r.ok, r.statusText, r.headers.get('x-a'), r.url]).toEqual([
      200,
      true,
      'OK',
      '1',
      'https://api.venice.ai/api/v1/chat/completions',
    ]);
    expect(r.bodyUsed).toBe(false);
  });

  it('json(), text(), arrayBuffer(), bytes(), blob() read once, then refuse like any Response', async () => {
    expect(await make().json()).toEqual(body);
    expect(await settled(undefined, JSON.stringify(body)).json()).toEqual(body); // parses itself when nothing was parsed
    expect(await make().text()).toBe(JSON.stringify(body));
    expect(new TextDecoder().decode(await make().arrayBuffer())).toBe(JSON.stringify(body));
    expect(new TextDecoder().decode(await make().bytes())).toBe(JSON.stringify(body));
    expect(await (await make().blob()).text()).toBe(JSON.stringify(body));
    for (const read of ['json', 'text', 'arrayBuffer', 'blob'] as const) {
      const r = make();
      await r.json();
      expect(r.bodyUsed).toBe(true);
      await expect(r[read]()).rejects.toThrow(TypeError);
    }
    await expect(settled(undefined, '{not json').json()).rejects.toThrow(SyntaxError);
  });

  it('body is an ordinary stream; reading it uses the body', async () => {
    const r = make();
    const chunks: Uint8Array[] = [];
    for await (const c of r.body as any) chunks.push(c);
    expect(new TextDecoder().decode(Buffer.concat(chunks))).toBe(JSON.stringify(body));
    expect(r.bodyUsed).toBe(true);
    await expect(r.json()).rejects.toThrow(TypeError);
    expect(await new Response(make().body).json()).toEqual(body); // re-wrapped, as some wrappers do
  });

  it('clone() gives each reader its own bytes and its own parsed object', async () => {
    const r = make();
    const c = r.clone();
    const [a, b] = [await r.json(), await c.json()];
    expect(a).toEqual(body);
    expect(b).toEqual(body);
    expect(a).not.toBe(b);
    expect(c.headers.get('x-a')).toBe('1');
    expect(() => r.clone()).toThrow(TypeError);
  });
});
