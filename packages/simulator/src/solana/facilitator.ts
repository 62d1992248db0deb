import {
  getBase64EncodedWireTransaction,
  getBase64Encoder,
  getTransactionDecoder,
  type Transaction,
} from '@solana/kit';
import type { FacilitatorSvmSigner } from '@x402/svm';
import type { SolanaChain } from './svm.js';

const decode = (base64: string): Transaction =>
  getTransactionDecoder().decode(getBase64Encoder().encode(base64)) as Transaction;

/**
 * The `@x402/svm` facilitator's view of the chain, answered by litesvm in process: the simulator's fee payer
 * co-signs, the VM simulates, executes and records transactions. Errors carry the VM's own words.
 */
export function litesvmFacilitatorSigner(chain: SolanaChain, onchainFailure: new (m: string) => Error) {
  const { feePayer } = chain;
  async function coSign(transaction: Transaction): Promise<Transaction> {
    const [signatures] = await feePayer.signTransactions([transaction as never]);
    return { ...transaction, signatures: { ...transaction.signatures, ...signatures } } as Transaction;
  }
  const signer: FacilitatorSvmSigner = {
    getAddresses: () => [feePayer.address],
    async signTransaction(transaction, payer) {
      if (payer !== feePayer.address) throw new Error(`No signer for fee payer ${payer}`);
      return getBase64EncodedWireTransaction((await coSign(decode(transaction))) as never);
    },
    async simulateTransaction(transaction) {
      // litesvm checks every signature even in simulation: simulate the co-signed copy, which also proves the
      // payer's signature.
      chain.simulate((await coSign(decode(transaction))) as never);
    },
    async sendTransaction(transaction) {
      return chain.send(decode(transaction) as never);
    },
    async confirmTransaction(signature) {
      const status = chain.status(signature);
      if (!status) throw new Error(`Transaction ${signature} is unknown`);
      if (!status.ok) throw new onchainFailure(status.error);
    },
  };
  return signer;
}
