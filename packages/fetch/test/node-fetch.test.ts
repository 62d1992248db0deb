import { expect, it } from 'vitest';
import { isNodeFetch } from '../src/node-fetch.js';

it("recognises Node's own fetch on this Node line (else every call would take the slower path through fetch)", () => {
  expect(isNodeFetch(globalThis.fetch)).toBe(true);
});

it('counts every replacement as one: wrappers, bound copies, proxies, non-functions', () => {
  const real = globalThis.fetch;
  const replacements: unknown[] = [
    (input: RequestInfo | URL, init?: RequestInit) => real(input, init),
    async function fetch(input: RequestInfo | URL, init = undefined) {
      return real(input, init);
    },
    real.bind(globalThis),
    new Proxy(real, {}),
    undefined,
    'fetch',
  ];
  for (const fn of replacements) expect(isNodeFetch(fn)).toBe(false);
  expect(isNodeFetch(real)).toBe(true);
});
