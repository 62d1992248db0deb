/** Venice's private models by id (venice-wire §13.2): `tee-*` run in a TEE, `e2ee-*` add end-to-end encryption. */
export type PrivateModelKind = 'tee' | 'e2ee';

/** The kind of a private model id (a `:feature=…` suffix ignored); undefined for any other model. */
export function privateModelKind(model: string | undefined): PrivateModelKind | undefined {
  if (typeof model !== 'string') return undefined;
  if (model.startsWith('e2ee-')) return 'e2ee';
  if (model.startsWith('tee-')) return 'tee';
  return undefined;
}

/** The model id an attestation names: without Venice's `:feature=value` suffixes. */
export const attestedModelId = (model: string): string => model.split(':')[0]!;
