import { ConfigError } from '@venice-x402/core';
import { loadZod } from '@venice-x402/core/internal';
import type { X402FetchOptions } from './fetch-options.js';

type Zod = ReturnType<typeof loadZod>['z'];
type Option = { schema: (z: Zod) => { optional(): unknown }; expected: string };
type Issue = { code: string; path: PropertyKey[]; keys?: string[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const has = (v: unknown, method: string) => isObject(v) && typeof v[method] === 'function';
const isHttpUrl = (v: string) => {
  try {
    return /^https?:$/.test(new URL(v).protocol);
  } catch {
    return false;
  }
};
const integer = (min: number) => ({
  schema: (z: Zod) => z.number().int().min(min),
  expected: `an integer ≥ ${min}`,
});

/** Every option of `createX402Fetch`, with what it accepts, said once for the check and for its message. */
const OPTIONS: Record<keyof X402FetchOptions, Option> = {
  wallet: {
    schema: (z) => z.custom((v) => typeof (v as any)?.address === 'string' && has(v, 'withPolicy')),
    expected: 'a wallet from createWallet()',
  },
  apiKey: { schema: (z) => z.string().min(1), expected: 'a non-empty string' },
  budget: {
    schema: (z) => z.custom((v) => has(v, 'reserve') && isObject((v as any).policy)),
    expected: 'a budget from createBudget()',
  },
  baseURL: { schema: (z) => z.string().refine(isHttpUrl), expected: 'an http(s) URL' },
  mode: { schema: (z) => z.enum(['venice', 'payg', 'auto']), expected: "'venice', 'payg' or 'auto'" },
  payOrigins: { schema: (z) => z.array(z.string().refine(isHttpUrl)), expected: 'an array of http(s) URLs' },
  fetch: { schema: (z) => z.custom((v) => typeof v === 'function'), expected: 'a fetch function' },
  scope: {
    schema: (z) => z.union([z.string().min(1), z.array(z.string().min(1))]),
    expected: 'a scope id or an array of scope ids (non-empty strings)',
  },
  estimator: { schema: (z) => z.custom((v) => has(v, 'estimate')), expected: 'an estimator from createEstimator()' },
  maxInFlight: integer(1),
  maxRetries: integer(0),
  maxRetryDelayMs: integer(0),
  quoteCache: { schema: (z) => z.boolean(), expected: 'true or false' },
  timeoutMs: integer(1),
  streamIdleTimeoutMs: integer(1),
  refusal: { schema: (z) => z.enum(['auto', 'throw']), expected: "'auto' or 'throw'" },
  maxBufferedBodyBytes: integer(0),
  autoMaxTokens: { schema: (z) => z.boolean(), expected: 'true or false' },
  clock: {
    schema: (z) => z.custom((v) => has(v, 'now') && has(v, 'setTimeout') && has(v, 'clearTimeout')),
    expected: 'a clock { now, setTimeout, clearTimeout }',
  },
};
const NAMES = Object.keys(OPTIONS);
// An identifier of ≤ 32 characters with at most 3 digits: what option names look like, and keys and hex do not.
const NAME = /^(?!(?:\D*\d){4})[A-Za-z_$][\w$]{0,31}$/;

type Parser = { safeParse(value: unknown): { success: boolean; error?: { issues: Issue[] } } };
let schema: Parser | undefined;

/**
 * Refuses an unknown option (a typo) or a value of the wrong kind with a ConfigError that names the option and
 * what it accepts. Values are never echoed: an option may hold a key.
 */
export function validateOptions(options: unknown): asserts options is X402FetchOptions {
  if (options === undefined) return;
  if (!isObject(options)) throw new ConfigError('createX402Fetch takes an options object', { option: 'options' });
  if (!schema) {
    const { z } = loadZod();
    const shape = Object.fromEntries(Object.entries(OPTIONS).map(([name, o]) => [name, o.schema(z).optional()]));
    schema = z.strictObject(shape as Parameters<Zod['strictObject']>[0]) as unknown as Parser;
  }
  const result = schema.safeParse(options);
  if (result.success) return;
  const issue = result.error!.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = String(issue.keys?.[0]);
    // A name is shown only when it looks like one: a key pasted where a name belongs stays out of the message.
    const name = NAME.test(key) ? key : undefined;
    const near = name && closest(name);
    throw new ConfigError(
      `createX402Fetch: unknown option ${name ? `\`${name}\`` : '(its name is not shown)'}` +
        `${near ? ` (did you mean \`${near}\`?)` : ''}. Options: ${NAMES.join(', ')}`,
      { option: name, allowed: NAMES },
    );
  }
  const name = String(issue.path[0]) as keyof X402FetchOptions;
  const { expected } = OPTIONS[name];
  throw new ConfigError(`createX402Fetch option \`${name}\` must be ${expected}`, { option: name, expected });
}

/** The known option a typo most likely meant (edit distance ≤ 2, or a case slip). */
function closest(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const known of NAMES) {
    const d = known.toLowerCase() === name.toLowerCase() ? 0 : distance(known, name);
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}
