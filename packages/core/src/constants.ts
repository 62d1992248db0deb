export const DEFAULT_BASE_URL = 'https://api.venice.ai/api/v1';
export const BASE_NETWORK = 'eip155:8453';
export const BASE_CHAIN_ID = 8453;
/** Base mainnet USDC. Servers send it lowercased; always compare case-insensitively. */
export const BASE_USDC = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913';
/** EIP-712 domain name/version of Circle's USDC (FiatToken v2). */
export const USDC_EIP712 = { name: 'USD Coin', version: '2' } as const;

export const HEADERS = {
  signIn: 'SIGN-IN-WITH-X',
  signInLegacy: 'X-Sign-In-With-X',
  paymentSignature: 'PAYMENT-SIGNATURE',
  paymentLegacy: 'X-402-Payment',
  paymentV1: 'X-PAYMENT',
  paymentRequired: 'PAYMENT-REQUIRED',
  paymentResponse: 'PAYMENT-RESPONSE',
  balanceRemaining: 'X-Balance-Remaining',
} as const;

/** Venice's documented top-up bounds, in micro-USD. */
export const TOP_UP_MIN_MICROS = 5_000_000n;
export const TOP_UP_MAX_MICROS = 10_000_000_000n;
