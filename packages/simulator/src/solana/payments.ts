import { createHash } from 'node:crypto';
import {
  decompileTransactionMessage,
  getBase64Encoder,
  getCompiledTransactionMessageDecoder,
  getTransactionDecoder,
} from '@solana/kit';
import { parseTransferCheckedInstruction, TOKEN_PROGRAM_ADDRESS } from '@solana-program/token';
import { SOLANA_NETWORK } from '@venice-x402/core';
import { base58Encode, normalizeNetwork } from '@venice-x402/core/internal';
import { deepEqual } from '@x402/core/utils';
import type { PaymentProblem } from '../payments.js';

/** A Solana `exact` payment as received: the layout, what it claims, and the transfer its transaction makes. */
export interface DecodedSolanaPayment {
  layout: 'v2' | 'hybrid' | 'v1';
  accepted?: unknown;
  scheme: string;
  network: string;
  /** Base64 wire transaction, partially signed by the payer. */
  transaction: string;
  /** The TransferChecked's authority: who pays (and is credited). */
  payer: string;
  destination: string;
  mint: string;
  amount: bigint;
  /** The payer's signature (base58): the payment's id in receipts. */
  id: string;
  /**
   * sha256 of the signed message: one payment, one key, whatever header carried it. (The signature alone would
   * let a tampered message borrow a settled payment's answer.)
   */
  messageHash: string;
}

const problem = (status: number, code: string, message: string): PaymentProblem => ({ status, code, message });

/** Undefined when the header is not a Solana payload (no `payload.transaction`): the EVM decoder takes it. */
export function decodeSolanaPayment(header: string): DecodedSolanaPayment | PaymentProblem | undefined {
  let body: any;
  try {
    body = JSON.parse(Buffer.from(header.trim(), 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof body?.payload?.transaction !== 'string') return undefined;
  const accepted = body.accepted;
  const layout = accepted ? 'v2' : body.x402Version === 1 ? 'v1' : 'hybrid';
  if (body.x402Version !== (layout === 'v1' ? 1 : 2)) {
    return problem(
      400,
      'INVALID_PAYMENT_FORMAT',
      `x402Version ${String(body.x402Version).slice(0, 16)} is not supported`,
    );
  }
  try {
    const tx = getTransactionDecoder().decode(getBase64Encoder().encode(body.payload.transaction));
    const message = decompileTransactionMessage(getCompiledTransactionMessageDecoder().decode(tx.messageBytes));
    const transfers = message.instructions.filter(
      (ix) => ix.programAddress === TOKEN_PROGRAM_ADDRESS && ix.data?.[0] === 12,
    );
    if (transfers.length !== 1) return problem(400, 'INVALID_PAYMENT', 'Expected exactly one SPL TransferChecked');
    const transfer = parseTransferCheckedInstruction(transfers[0] as never);
    const payer = transfer.accounts.authority.address;
    const signature = (tx.signatures as Record<string, Uint8Array | null>)[payer];
    if (!signature) return problem(400, 'INVALID_PAYMENT_PAYER', 'The payer has not signed the transaction');
    return {
      layout,
      accepted,
      scheme: String(accepted?.scheme ?? body.scheme ?? ''),
      network: String(accepted?.network ?? body.network ?? ''),
      transaction: body.payload.transaction,
      payer,
      destination: transfer.accounts.destination.address,
      mint: transfer.accounts.mint.address,
      amount: transfer.data.amount,
      id: base58Encode(signature),
      messageHash: createHash('sha256')
        .update(tx.messageBytes as unknown as Uint8Array)
        .digest('hex'),
    };
  } catch {
    return problem(400, 'INVALID_PAYMENT_FORMAT', 'Payment transaction cannot be decoded');
  }
}

export interface SolanaExpectation {
  mint: string;
  /** The receiver's token account (TransferChecked moves tokens between token accounts). */
  destination: string;
  minMicros: bigint;
  maxMicros: bigint;
}

/** Venice's checks before settling (docs/venice-protocol.md §4.4): scheme, network, token, recipient, amount bounds. */
export function checkSolanaPayment(p: DecodedSolanaPayment, expect: SolanaExpectation): PaymentProblem | undefined {
  if (p.scheme !== 'exact') return problem(400, 'UNSUPPORTED_SCHEME', 'Only the exact scheme is supported');
  if (normalizeNetwork(p.network) !== SOLANA_NETWORK)
    return problem(400, 'UNSUPPORTED_NETWORK', `Network ${p.network.slice(0, 64)} is not supported`);
  if (p.mint !== expect.mint) return problem(400, 'UNSUPPORTED_TOKEN', 'Only USDC is accepted');
  if (p.destination !== expect.destination)
    return problem(400, 'INVALID_PAYMENT_RECIPIENT', 'Payment is not addressed to the receiver');
  if (p.amount < expect.minMicros) return problem(400, 'AMOUNT_TOO_LOW', 'Payment amount is below the minimum');
  if (p.amount > expect.maxMicros) return problem(400, 'AMOUNT_TOO_HIGH', 'Payment amount is above the maximum');
  return undefined;
}

/** A v2 payload must echo an advertised entry exactly and move exactly its amount (stock x402 v2 matching). */
export function checkSolanaAdvertised(
  p: DecodedSolanaPayment,
  advertised: readonly { network: string; amount: string }[],
): PaymentProblem | undefined {
  if (p.layout !== 'v2') return undefined;
  const entry = advertised.find((a) => deepEqual(a, p.accepted));
  if (!entry) return problem(400, 'INVALID_PAYMENT', 'accepted matches none of the advertised payment requirements');
  if (p.amount !== BigInt(entry.amount))
    return problem(400, 'INVALID_AMOUNT', 'The transferred amount differs from accepted.amount');
  return undefined;
}
