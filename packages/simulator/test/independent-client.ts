/**
 * A Venice client built only from viem + @x402/evm — deliberately not from @venice-x402/core — so the
 * simulator is checked against an implementation that shares no code with ours.
 */
import { randomBytes } from 'node:crypto';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import type { PrivateKeyAccount } from 'viem';
import { createSiweMessage } from 'viem/siwe';

export async function siwxHeader(account: PrivateKeyAccount, domain: string, issuedAt = new Date()) {
  const message = createSiweMessage({
    address: account.address,
    chainId: 8453,
    domain,
    uri: `http://${domain}`,
    version: '1',
    nonce: randomBytes(8).toString('hex'),
    issuedAt,
    expirationTime: new Date(issuedAt.getTime() + 300_000),
    statement: 'Sign in to Venice AI',
  });
  const signature = await account.signMessage({ message });
  return Buffer.from(
    JSON.stringify({ address: account.address, message, signature, timestamp: issuedAt.getTime(), chainId: 8453 }),
  ).toString('base64');
}

/**
 * Signs a top-up for `micros` against the discovery document's Base option. An advertised amount goes as a stock x402
 * v2 PaymentPayload (`accepted` = the advertised entry); any other amount in the layout Venice's own client sends
 * (v1 fields stamped x402Version 2), since stock v2 matching refuses an `accepted` that was never advertised.
 */
export async function signTopUp(
  account: PrivateKeyAccount,
  discovery: any,
  micros: bigint,
  layout: 'v2' | 'hybrid' = micros === BigInt(baseOption(discovery).amount) ? 'v2' : 'hybrid',
) {
  const option = baseOption(discovery);
  const requirements = { ...option, amount: micros.toString() };
  const result = await new ExactEvmScheme(account).createPaymentPayload(2, requirements);
  const payload =
    layout === 'v2'
      ? { x402Version: 2, accepted: requirements, payload: result.payload }
      : { x402Version: 2, scheme: 'exact', network: 'base', payload: result.payload };
  return Buffer.from(JSON.stringify(payload)).toString('base64');
}

const baseOption = (discovery: any) => discovery.accepts.find((a: any) => a.network === 'eip155:8453');

export const decode = (header: string | null) => JSON.parse(Buffer.from(header ?? '', 'base64').toString('utf8'));
