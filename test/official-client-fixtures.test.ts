/**
 * Wire fidelity against Venice's own client. `test/fixtures/venice-client/requests.json` holds what
 * `venice-x402-client@0.2.0` sent in its default configuration (recorded by `record.ts` next to it). Here
 * (a) those requests, re-signed fresh with a new key (sign-ins and payments are single-use), pass the strict
 *     simulator, and
 * (b) our requests for the same operations are compared with them field by field; every difference must be one of
 *     INTENDED_DIFFERENCES, each with its reason. The README's "Wire compatibility" section lists the same.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createBudget, createWallet } from '@venice-x402/core';
import type { FetchLike } from '@venice-x402/core/internal';
import { createX402Fetch } from '@venice-x402/fetch';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import { type Address, getAddress } from 'viem';
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Recorded {
  label: string;
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | null;
  status: number;
}

const fixture: { client: string; requests: Recorded[] } = JSON.parse(
  readFileSync(new URL('./fixtures/venice-client/requests.json', import.meta.url), 'utf8'),
);

/** Where our requests differ from Venice's client on purpose. Keys are what `differences()` reports. */
const INTENDED_DIFFERENCES: Record<string, string> = {
  'sign-in header name: x-sign-in-with-x → sign-in-with-x':
    'SIGN-IN-WITH-X is the canonical name in Venice’s spec; the client still sends the legacy name (both accepted). `signIn.headerName` switches.',
  'sign-in URI: resource URL → API origin':
    'EIP-4361 leaves URI to the client and Venice does not check it; the origin lets a pre-signed header serve any route.',
  'payment validAfter: now − 600 s → 0':
    'No backdating window to get wrong under clock skew; validBefore (now + 300 s, the advertised maxTimeoutSeconds) bounds the authorization.',
  'extra request: GET /api/v1/models':
    'The budget prices a call before sending it: the catalogue is read once (then cached) to hold the right amount.',
};

const b64json = (v: string) => JSON.parse(Buffer.from(v, 'base64').toString('utf8'));
const toB64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
const SIWX_HEADERS = ['sign-in-with-x', 'x-sign-in-with-x'];
const PAYMENT_HEADERS = ['payment-signature', 'x-402-payment', 'x-payment'];

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(); // strict: api.venice.ai sign-ins, stock v2 matching, route limits on
});
afterAll(() => sim.stop());

/** The recorded request, with a new key and fresh single-use values, every time shifted by now − at. */
async function resign(r: Recorded, from: Address, account: PrivateKeyAccount): Promise<Recorded> {
  const shiftMs = Date.now() - r.at;
  const swap = (s: string) =>
    s.replaceAll(from, account.address).replaceAll(from.toLowerCase(), account.address.toLowerCase());
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.headers)) {
    if (SIWX_HEADERS.includes(name)) {
      const old = b64json(value);
      const message = swap(old.message)
        .replace(/^Nonce: .*$/m, `Nonce: ${randomBytes(8).toString('hex')}`)
        .replace(
          /^(Issued At|Expiration Time): (.*)$/gm,
          (_, k, t) => `${k}: ${new Date(Date.parse(t) + shiftMs).toISOString()}`,
        );
      const signature = await account.signMessage({ message });
      headers[name] = toB64({
        ...old,
        address: account.address,
        message,
        signature,
        timestamp: old.timestamp + shiftMs,
      });
    } else if (PAYMENT_HEADERS.includes(name)) {
      const old = b64json(value);
      const shift = (s: string) => String(BigInt(s) + BigInt(Math.round(shiftMs / 1000)));
      const a = old.payload.authorization;
      const authorization = {
        ...a,
        from: account.address,
        validAfter: shift(a.validAfter),
        validBefore: shift(a.validBefore),
        nonce: `0x${randomBytes(32).toString('hex')}`,
      };
      const signature = await account.signTypedData({
        domain: { name: 'USD Coin', version: '2', chainId: 8453, verifyingContract: sim.usdc },
        types: {
          TransferWithAuthorization: [
            { name: 'from', type: 'address' },
            { name: 'to', type: 'address' },
            { name: 'value', type: 'uint256' },
            { name: 'validAfter', type: 'uint256' },
            { name: 'validBefore', type: 'uint256' },
            { name: 'nonce', type: 'bytes32' },
          ],
        },
        primaryType: 'TransferWithAuthorization',
        message: {
          ...authorization,
          to: getAddress(authorization.to),
          value: BigInt(authorization.value),
          validAfter: BigInt(authorization.validAfter),
          validBefore: BigInt(authorization.validBefore),
        },
      });
      headers[name] = toB64({ ...old, payload: { ...old.payload, signature, authorization } });
    } else headers[name] = value;
  }
  return { ...r, path: swap(r.path), headers, body: r.body === null ? null : swap(r.body) };
}

const recordedAddress = (): Address => {
  for (const r of fixture.requests)
    for (const [name, value] of Object.entries(r.headers))
      if (SIWX_HEADERS.includes(name)) return b64json(value).address;
  throw new Error('fixture has no sign-in');
};

describe(`${fixture.client}: recorded requests`, () => {
  it('pass the strict simulator when re-signed fresh, each with the status it got when recorded', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    await sim.fund(account.address, 50);
    const seen: string[] = [];
    for (const recorded of fixture.requests) {
      const r = await resign(recorded, recordedAddress(), account);
      const res = await fetch(`${sim.url}${r.path}`, {
        method: r.method,
        headers: r.headers,
        body: r.body ?? undefined,
      });
      await res.arrayBuffer();
      seen.push(`${r.label} ${res.status}`);
    }
    expect(seen).toEqual(fixture.requests.map((r) => `${r.label} ${r.status}`));
    expect(fixture.requests.map((r) => r.label)).toEqual(
      expect.arrayContaining(['top-up', 'balance', 'chat', 'stream', 'embeddings', 'transactions']),
    );
    expect(sim.ledger.balance(account.address)).toBeGreaterThan(9_000_000n); // $10 credited, a few calls paid
  });
});

/** Our requests for the same operations, recorded at the transport. */
async function ours(): Promise<Recorded[]> {
  const out: Recorded[] = [];
  let label = '';
  const transport: FetchLike = async (input, init) => {
    const request = new Request(input as RequestInfo, init as RequestInit);
    const headers: Record<string, string> = {};
    request.headers.forEach((v, k) => {
      headers[k] = v;
    });
    const body = request.body ? await request.clone().text() : null;
    const res = await fetch(request);
    out.push({
      label,
      at: Date.now(),
      method: request.method,
      path: new URL(request.url).pathname,
      headers,
      body,
      status: res.status,
    });
    return res;
  };
  const wallet = createWallet(
    { privateKey: generatePrivateKey() },
    { baseURL: sim.baseURL, signIn: { domain: 'api.venice.ai' }, fetch: transport },
  );
  await sim.fund(wallet.address, 50);
  const paid = createX402Fetch({ wallet, budget: createBudget(), fetch: transport });
  const bodyOf = (l: string) => fixture.requests.find((r) => r.label === l)!.body!;
  const post = async (l: string) => {
    label = l;
    const res = await paid(
      `${sim.baseURL}${fixture.requests.find((r) => r.label === l)!.path.replace('/api/v1', '')}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: bodyOf(l),
      },
    );
    await res.arrayBuffer();
  };
  label = 'top-up';
  await wallet.topUp(10);
  label = 'balance';
  await wallet.balance();
  await post('chat');
  await post('stream');
  await post('embeddings');
  label = 'transactions';
  await wallet.transactions({ limit: 10 });
  return out;
}

const siwxLines = (message: string) =>
  message
    .split('\n')
    .map((l) =>
      l
        .replace(/^0x[0-9a-fA-F]{40}$/, '<address>')
        .replace(/^(Nonce|Issued At|Expiration Time|URI): .*/, '$1: <value>'),
    );

const keyPaths = (v: unknown, prefix = ''): string[] =>
  v && typeof v === 'object' && !Array.isArray(v)
    ? Object.entries(v).flatMap(([k, x]) => [`${prefix}${k}`, ...keyPaths(x, `${prefix}${k}.`)])
    : [];

/** What differs between their request and ours for one operation, in the words INTENDED_DIFFERENCES uses. */
function differences(theirs: Recorded, mine: Recorded): string[] {
  const found: string[] = [];
  const names = (r: Recorded) =>
    Object.keys(r.headers).filter((n) => n !== 'user-agent' && !n.startsWith('x-stainless'));
  const theirSiwx = SIWX_HEADERS.find((n) => n in theirs.headers);
  const mySiwx = SIWX_HEADERS.find((n) => n in mine.headers);
  if (theirSiwx !== mySiwx) found.push(`sign-in header name: ${theirSiwx} → ${mySiwx}`);
  if (theirSiwx && mySiwx) {
    const a = b64json(theirs.headers[theirSiwx]!);
    const b = b64json(mine.headers[mySiwx]!);
    if (Object.keys(a).join() !== Object.keys(b).join())
      found.push(`sign-in JSON keys: ${Object.keys(a)} → ${Object.keys(b)}`);
    if (siwxLines(a.message).join('\n') !== siwxLines(b.message).join('\n')) found.push('sign-in message layout');
    const uri = (m: string) => /^URI: (.*)$/m.exec(m)![1]!;
    if (uri(a.message) !== uri(b.message))
      found.push(
        uri(b.message) === new URL(uri(b.message)).origin ? 'sign-in URI: resource URL → API origin' : 'sign-in URI',
      );
  }
  const theirPay = PAYMENT_HEADERS.find((n) => n in theirs.headers);
  const myPay = PAYMENT_HEADERS.find((n) => n in mine.headers);
  if (theirPay !== myPay) found.push(`payment header name: ${theirPay} → ${myPay}`);
  if (theirPay && myPay) {
    const a = b64json(theirs.headers[theirPay]!);
    const b = b64json(mine.headers[myPay]!);
    const paths = (p: unknown) => keyPaths(p).sort().join(); // JSON member order carries no meaning
    if (paths(a) !== paths(b)) found.push(`payment fields: ${paths(a)} → ${paths(b)}`);
    for (const k of ['x402Version', 'scheme', 'network'])
      if (a[k] !== b[k]) found.push(`payment ${k}: ${a[k]} → ${b[k]}`);
    // validBefore is now + 300 s in both: describe validAfter relative to it.
    const after = (p: any) => {
      const { validAfter, validBefore } = p.payload.authorization;
      return validAfter === '0' ? '0' : `now − ${Number(validBefore) - 300 - Number(validAfter)} s`;
    };
    const lifetime = (p: any) => Number(p.payload.authorization.validBefore) - Math.floor(Date.now() / 1000);
    if (after(a) !== after(b)) found.push(`payment validAfter: ${after(a)} → ${after(b)}`);
    if (lifetime(b) > 300) found.push('payment validBefore beyond now + 300 s');
    if (a.payload.authorization.value !== b.payload.authorization.value) found.push('payment value');
  }
  const otherHeaders = (r: Recorded) =>
    names(r)
      .filter((n) => ![...SIWX_HEADERS, ...PAYMENT_HEADERS].includes(n))
      .sort();
  if (otherHeaders(theirs).join() !== otherHeaders(mine).join()) {
    if (theirs.label === 'top-up' && !theirs.body && mine.body === '{}')
      found.push('top-up: sends a JSON body ({}) and content-type');
    else found.push(`${theirs.label}: headers ${otherHeaders(theirs)} → ${otherHeaders(mine)}`);
  }
  if (theirs.body !== mine.body && !(theirs.label === 'top-up')) {
    const a = JSON.parse(theirs.body ?? 'null');
    const b = JSON.parse(mine.body ?? 'null');
    if (
      theirs.label === 'stream' &&
      b?.stream_options?.include_usage &&
      JSON.stringify({ ...b, stream_options: undefined }) === JSON.stringify(a)
    )
      found.push('stream: adds stream_options.include_usage');
    else found.push(`${theirs.label}: body ${theirs.body} → ${mine.body}`);
  }
  if (theirs.method !== mine.method) found.push(`${theirs.label}: method ${theirs.method} → ${mine.method}`);
  return found;
}

describe(`our requests next to ${fixture.client}`, () => {
  it('differ only where INTENDED_DIFFERENCES says, field by field', async () => {
    const mine = await ours();
    const found = new Set<string>();
    // Pair each of theirs with ours of the same operation: label, method, route and kind (discovery vs paid top-up).
    const route = (r: Recorded) => r.path.split('?')[0]!.replace(/0x[0-9a-fA-F]{40}/, '<wallet>');
    const kind = (r: Recorded) => `${r.label} ${r.method} ${route(r)} ${PAYMENT_HEADERS.some((n) => n in r.headers)}`;
    const unpaired = [...mine];
    for (const theirs of fixture.requests) {
      const i = unpaired.findIndex((m) => kind(m) === kind(theirs));
      expect(i, `no request of ours for ${kind(theirs)}`).toBeGreaterThanOrEqual(0);
      for (const d of differences(theirs, unpaired[i]!)) found.add(d);
      unpaired.splice(i, 1);
    }
    for (const extra of unpaired) found.add(`extra request: ${extra.method} ${route(extra)}`);
    expect([...found].sort()).toEqual(Object.keys(INTENDED_DIFFERENCES).sort());
  });
});
