import { isSolanaAddress, SOLANA_CHAIN_REFERENCE, solanaSignInMessage } from '@venice-x402/core/internal';

/** The fields Venice checks in a Solana sign-in message (docs/venice-protocol.md §1.6). */
export interface SolanaSiwxFields {
  domain: string;
  address: string;
  chainReference: string;
  nonce: string;
  issuedAt: Date;
  expirationTime?: Date;
  notBefore?: Date;
}

const B58 = '[1-9A-HJ-NP-Za-km-z]';
const RFC3339 = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?(?:Z|[+-]\\d{2}:\\d{2})';
/**
 * The EIP-4361 layout with "Solana account": header, base58 address, optional statement, then URI, Version 1,
 * Chain ID, Nonce (≥ 8 alphanumerics), Issued At and the optional lines in their fixed order. Nothing else.
 */
const GRAMMAR = new RegExp(
  [
    `^(?<domain>[^\\s/]+) wants you to sign in with your Solana account:\\n(?<address>${B58}{32,44})\\n`,
    '(?:\\n(?<statement>[^\\n]+)\\n)?',
    '\\nURI: (?<uri>[^\\s]+)\\nVersion: 1',
    `\\nChain ID: (?<chain>(?:solana:)?${B58}{32,44})`,
    '\\nNonce: (?<nonce>[A-Za-z0-9]{8,})',
    `\\nIssued At: (?<issuedAt>${RFC3339})`,
    `(?:\\nExpiration Time: (?<expirationTime>${RFC3339}))?`,
    `(?:\\nNot Before: (?<notBefore>${RFC3339}))?`,
    '(?:\\nRequest ID: [^\\n]*)?',
    '(?:\\nResources:(?:\\n- [^\\n]+)+)?$',
  ].join(''),
);

export function parseSolanaMessage(message: string): SolanaSiwxFields | undefined {
  const m = GRAMMAR.exec(message)?.groups;
  if (!m) return undefined;
  const date = (v: string | undefined) => (v === undefined ? undefined : new Date(v));
  const fields = {
    domain: m.domain!,
    address: m.address!,
    chainReference: m.chain!.replace(/^solana:/, ''),
    nonce: m.nonce!,
    issuedAt: new Date(m.issuedAt!),
    expirationTime: date(m.expirationTime),
    notBefore: date(m.notBefore),
  };
  const dates = [fields.issuedAt, fields.expirationTime, fields.notBefore].filter((d) => d !== undefined);
  return dates.every((d) => Number.isFinite(d.getTime())) && isSolanaAddress(fields.address) ? fields : undefined;
}

/** The payload names Solana: `type: "ed25519"` or a `solana:` chain id. */
export const isSolanaPayload = (payload: Record<string, unknown>) =>
  payload.type === 'ed25519' || /^solana:/i.test(String(payload.chainId ?? ''));

/** Structured form: the message the client must have signed, rebuilt from the fields (undefined when invalid). */
export function rebuildSolanaMessage(p: Record<string, any>): string | undefined {
  try {
    const issuedAt = new Date(p.issuedAt);
    if (!Number.isFinite(issuedAt.getTime()) || typeof p.nonce !== 'string' || typeof p.uri !== 'string') return;
    return solanaSignInMessage({
      domain: String(p.domain),
      address: String(p.address),
      uri: p.uri,
      statement: typeof p.statement === 'string' ? p.statement : undefined,
      chainId: String(p.chainId ?? SOLANA_CHAIN_REFERENCE).replace(/^solana:/, ''),
      nonce: p.nonce,
      issuedAt,
      expirationTime: p.expirationTime ? new Date(p.expirationTime) : undefined,
      notBefore: p.notBefore ? new Date(p.notBefore) : undefined,
    });
  } catch {
    return undefined;
  }
}
