import { afterEach, describe, expect, it } from 'vitest';
import { newKeyPair, sealerTo, sealFresh, unseal, useCurve } from '../src/venice/tee/e2ee-crypto.js';

afterEach(() => useCurve('default'));

describe('E2EE sealing: libsecp256k1 and OpenSSL curve code interoperate', () => {
  it('what one seals the other opens, both directions', () => {
    for (const [a, b] of [
      ['default', 'openssl'],
      ['openssl', 'default'],
      ['openssl', 'openssl'],
    ] as const) {
      useCurve(a);
      const model = newKeyPair();
      const client = newKeyPair();
      const prompt = sealerTo(client, model.publicKey)('to the model');
      const answer = sealFresh(client.publicKey, 'to the client');
      useCurve(b);
      expect(unseal(model, prompt)).toMatchObject({ ok: true, text: 'to the model' });
      expect(unseal(client, answer)).toMatchObject({ ok: true, text: 'to the client' });
    }
  });

  it('a key pair never serialises its private key', () => {
    for (const curve of ['default', 'openssl'] as const) {
      useCurve(curve);
      const pair = newKeyPair();
      expect(pair.privateKey).toHaveLength(32);
      expect(JSON.stringify(pair)).not.toContain(pair.privateKey.toString('hex'));
      expect(Object.keys(pair)).toEqual(['publicKey']);
    }
  });

  it('a sender key that is not on the curve does not open, with either curve code', () => {
    for (const curve of ['default', 'openssl'] as const) {
      useCurve(curve);
      const sealed = sealFresh(newKeyPair().publicKey, 'x');
      const offCurve = `04${'11'.repeat(64)}${sealed.slice(130)}`;
      expect(unseal(newKeyPair(), offCurve)).toEqual({ ok: false, why: 'undecryptable' });
    }
  });
});
