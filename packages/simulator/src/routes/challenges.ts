import { randomBytes } from 'node:crypto';
import { BASE_USDC } from '@venice-x402/core';

/** The 402 documents of docs/venice-protocol.md §4.1 and §5. */

export const SOLANA_NETWORK = 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp';
const SOLANA_USDC = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';
const SOLANA_RECEIVER = 'VeniceSimu1atorReceiver11111111111111111111';

export interface ChallengeContext {
  payTo: string;
  asset?: string;
  domain: string;
  resourceUrl: string;
  /** With `solana: true`: the litesvm receiver and fee payer (otherwise placeholders nothing settles to). */
  solana?: { payTo: string; feePayer: string };
}

function baseOption(ctx: ChallengeContext, amount: string) {
  return {
    scheme: 'exact',
    network: 'eip155:8453',
    amount,
    asset: (ctx.asset ?? BASE_USDC).toLowerCase(),
    payTo: ctx.payTo,
    maxTimeoutSeconds: 300,
    extra: { name: 'USD Coin', version: '2' },
  };
}

export function solanaOption(ctx: ChallengeContext, amount: string, network: string, maxTimeoutSeconds = 300) {
  return {
    scheme: 'exact',
    network,
    amount,
    asset: SOLANA_USDC,
    payTo: ctx.solana?.payTo ?? SOLANA_RECEIVER,
    maxTimeoutSeconds,
    extra: { name: 'USD Coin', version: '2', feePayer: ctx.solana?.feePayer ?? SOLANA_RECEIVER },
  };
}

/** §4.1: top-up discovery. The minimum top-up is the advertised amount. */
export function topUpDiscovery(ctx: ChallengeContext) {
  return { x402Version: 2, accepts: [baseOption(ctx, '5000000'), solanaOption(ctx, '5000000', SOLANA_NETWORK)] };
}

function siwxInfo(ctx: ChallengeContext) {
  const issuedAt = new Date();
  return {
    domain: ctx.domain,
    uri: ctx.resourceUrl,
    version: '1',
    nonce: randomBytes(8).toString('hex'),
    issuedAt: issuedAt.toISOString(),
    expirationTime: new Date(issuedAt.getTime() + 300_000).toISOString(),
    statement: 'Sign in to Venice AI',
  };
}

const supportedChains = [
  { chainId: 'eip155:8453', type: 'eip191' },
  { chainId: 'eip155:8453', type: 'eip1271' },
];

/** §5.4: the protocol-level object carried in PAYMENT-REQUIRED on inference 402s. */
export function inferencePaymentRequired(ctx: ChallengeContext, error: string) {
  return {
    x402Version: 2,
    error,
    resource: { url: ctx.resourceUrl, description: 'Venice API', mimeType: 'application/json' },
    accepts: [baseOption(ctx, '10000000'), solanaOption(ctx, '10000000', 'solana')],
    extensions: { 'sign-in-with-x': { info: siwxInfo(ctx), supportedChains } },
  };
}

/** §5.2 case A: no credentials at all. */
export function caseA(ctx: ChallengeContext, accepts = true) {
  const doc = inferencePaymentRequired(ctx, 'Authentication required');
  return {
    header: accepts ? doc : { ...doc, accepts: [] },
    body: {
      ...doc,
      ...(accepts ? {} : { accepts: [] }),
      authOptions: {
        apiKey: {
          header: 'Authorization: Bearer YOUR_API_KEY',
          getKey: 'https://venice.ai/settings/api',
          docs: 'https://docs.venice.ai',
        },
        x402Wallet: {
          header: 'SIGN-IN-WITH-X',
          legacyHeader: 'X-Sign-In-With-X',
          topUp: 'POST /api/v1/x402/top-up',
          docs: 'https://docs.venice.ai',
        },
      },
    },
  };
}

/** §5.3 case B: a signed-in wallet below the $0.10 floor. */
export function caseB(ctx: ChallengeContext, currentBalanceUsd: number) {
  return {
    header: inferencePaymentRequired(ctx, 'Payment required'),
    body: {
      error: 'Payment required',
      code: 'PAYMENT_REQUIRED',
      reason: 'insufficient_balance',
      message: 'Insufficient x402 balance',
      currentBalanceUsd,
      minimumBalanceUsd: 0.1,
      description: 'Venice API',
      suggestedTopUpUsd: 10,
      minimumTopUpUsd: 5,
      supportedTokens: ['USDC'],
      supportedChains: ['base', 'solana'],
      topUpInstructions: {
        step1: 'POST /api/v1/x402/top-up without a payment header to get the payment requirements',
        step2: 'Sign an EIP-3009 transferWithAuthorization for USDC on Base',
        step3: 'POST /api/v1/x402/top-up again with the PAYMENT-SIGNATURE header',
        receiverWallet: ctx.payTo,
        tokenAddress: (ctx.asset ?? BASE_USDC).toLowerCase(),
        tokenDecimals: 6,
        network: 'eip155:8453',
        minimumAmountUsd: 5,
      },
      siwxChallenge: { info: siwxInfo(ctx), supportedChains },
    },
  };
}
