/**
 * E2EE interoperability with the open-source `venice-e2ee` client (npm, 0.5.3): what our code seals it opens and
 * what it seals our code opens, both directions of the protocol; its attestation check and ours agree on the
 * simulator's synthetic quote; and the whole `venice-e2ee` client runs against the simulator.
 */
import { type Attestation, E2eeSession, newKeyPair, sealFresh, unseal, verifyAttestation } from '@venice-x402/core';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import {
  createVeniceE2EE,
  decryptChunk,
  deriveAESKey,
  encryptMessage,
  generateKeypair,
  verifyAttestation as theirVerify,
} from 'venice-e2ee';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKeys: { 'sk-interop': 5 } });
});
afterAll(() => sim.stop());
afterEach(() => sim.setFaults([]));

const attested = (signingKey: string): Attestation => ({
  model: 'e2ee-glm-5',
  signingKey,
  signingAddress: '0x0000000000000000000000000000000000000000',
  nonce: '00'.repeat(32),
  attestedAt: 0,
});

describe('our E2EE and venice-e2ee open each other’s content', () => {
  it('a prompt we seal to a model key: venice-e2ee opens it with that key', async () => {
    const model = generateKeypair(); // theirs, standing in for the TEE
    const session = new E2eeSession(attested(model.pubKeyHex));
    const body = session.sealRequest({ model: 'e2ee-glm-5', messages: [{ role: 'user', content: 'héllo, TEE' }] });
    const content = (body.messages as { content: string }[])[0]!.content;
    expect(content.slice(0, 130)).toBe(session.clientPublicKey);
    expect(await decryptChunk(model.privateKey, content)).toBe('héllo, TEE');
  });

  it('a prompt venice-e2ee seals to our model key: we open it', async () => {
    const model = newKeyPair(); // ours
    const client = generateKeypair();
    const key = await deriveAESKey(client.privateKey, model.publicKey.toString('hex'));
    const sealed = await encryptMessage(key, client.publicKey, 'from their side');
    const opened = unseal(model, sealed);
    expect(opened).toMatchObject({ ok: true, text: 'from their side' });
  });

  it('an answer chunk we seal (as the simulator does): venice-e2ee opens it', async () => {
    const client = generateKeypair();
    const hex = sealFresh(Buffer.from(client.publicKey), 'an answer');
    expect(await decryptChunk(client.privateKey, hex)).toBe('an answer');
  });

  it('an answer chunk venice-e2ee seals to our request key: our session opens it', async () => {
    const session = new E2eeSession(attested(generateKeypair().pubKeyHex));
    const server = generateKeypair();
    const key = await deriveAESKey(server.privateKey, session.clientPublicKey);
    const answer = { choices: [{ message: { content: await encryptMessage(key, server.publicKey, 'decrypted') } }] };
    session.openChoices(answer);
    expect(answer.choices[0]!.message.content).toBe('decrypted');
  });
});

describe('attestation: the simulator’s synthetic quote read by venice-e2ee and by us alike', () => {
  const fetchAttestationJson = async (nonce: Uint8Array) => {
    const hex = Buffer.from(nonce).toString('hex');
    const response = await fetch(`${sim.baseURL}/tee/attestation?model=e2ee-glm-5&nonce=${hex}`);
    return response.json();
  };

  it('a good one passes both checks', async () => {
    const nonce = crypto.getRandomValues(new Uint8Array(32));
    const body = await fetchAttestationJson(nonce);
    expect(body.synthetic).toBe(true);
    const theirs = await theirVerify(body, nonce, { expectedModelId: 'e2ee-glm-5' });
    expect(theirs.errors).toEqual([]);
    expect(theirs.verificationLevel).toBe('binding');
    expect(verifyAttestation(body, 'e2ee-glm-5', nonce).signingAddress.toLowerCase()).toBe(
      body.signing_address.toLowerCase(),
    );
  });

  for (const bad of ['nonce', 'debug', 'unbound_key'] as const) {
    it(`a bad one (${bad}) fails both`, async () => {
      sim.setFaults([{ kind: 'bad_attestation', route: '/tee/attestation', attestation: bad }]);
      const nonce = crypto.getRandomValues(new Uint8Array(32));
      const body = await fetchAttestationJson(nonce);
      expect((await theirVerify(body, nonce, { expectedModelId: 'e2ee-glm-5' })).errors.length).toBeGreaterThan(0);
      expect(() => verifyAttestation(body, 'e2ee-glm-5', nonce)).toThrow(/refused/);
    });
  }

  it('REPORTDATA binding the SHA-256 of the nonce (the other form venice-e2ee accepts) passes ours too', async () => {
    const nonce = crypto.getRandomValues(new Uint8Array(32));
    const body = await fetchAttestationJson(nonce);
    const quote = Buffer.from(body.intel_quote, 'base64');
    Buffer.from(await crypto.subtle.digest('SHA-256', nonce)).copy(quote, 48 + 520 + 32);
    const hashed = { ...body, intel_quote: quote.toString('base64') };
    expect((await theirVerify(hashed, nonce, { expectedModelId: 'e2ee-glm-5' })).errors).toEqual([]);
    expect(verifyAttestation(hashed, 'e2ee-glm-5', nonce).model).toBe('e2ee-glm-5');
  });
});

describe('the venice-e2ee client against the simulator', () => {
  it('attests, encrypts, and decrypts JSON and streamed answers', async () => {
    const e2ee = createVeniceE2EE({ apiKey: 'sk-interop', baseUrl: sim.url });
    const session = await e2ee.createSession('e2ee-glm-5');
    expect(session.attestation?.errors).toEqual([]);
    const { encryptedMessages, headers, veniceParameters } = await e2ee.encrypt(
      [{ role: 'user', content: 'interop' }],
      session,
    );
    const post = (stream: boolean) =>
      fetch(`${sim.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-interop', ...headers },
        body: JSON.stringify({
          model: 'e2ee-glm-5',
          messages: encryptedMessages,
          venice_parameters: veniceParameters,
          max_tokens: 8,
          stream,
        }),
      });
    const json = await (await post(false)).json();
    expect(await e2ee.decryptChunk(json.choices[0].message.content, session)).toMatch(/^Simulated reply to "interop"/);
    let streamed = '';
    for await (const piece of e2ee.decryptStream((await post(true)).body!, session)) streamed += piece;
    expect(streamed).toMatch(/^Simulated reply to "interop"/);
  });

  it('the simulator refuses plaintext content for an e2ee-* model (400)', async () => {
    const response = await fetch(`${sim.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-interop' },
      body: JSON.stringify({ model: 'e2ee-glm-5', messages: [{ role: 'user', content: 'plain' }] }),
    });
    expect(response.status).toBe(400);
  });
});
