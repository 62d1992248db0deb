// The shapes both sign-in parsers (EVM in `siwx-verify.ts`, Solana in `solana/siwx-verify.ts`) produce.

export interface SiwxFail {
  ok: false;
  code: string;
  error: string;
}

/** What the chain-independent checks need from a parsed message. */
export interface SignInFields {
  domain: string;
  nonce: string;
  issuedAt: Date;
  expirationTime?: Date;
  notBefore?: Date;
}

/** A sign-in whose message parsed and agrees with its payload; its signature is not checked yet. */
export interface ParsedSignIn {
  fields: SignInFields;
  address: string;
  account: string;
  checkSignature(): Promise<boolean>;
}
