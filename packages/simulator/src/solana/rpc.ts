import { type Address, address } from '@solana/kit';
import { getTokenDecoder } from '@solana-program/token';
import { SOLANA_CHAIN_REFERENCE } from '@venice-x402/core/internal';
import type { SolanaChain } from './svm.js';

/**
 * The few Solana JSON-RPC methods a paying client needs, answered from litesvm: `getAccountInfo` (the USDC mint),
 * `getLatestBlockhash`, balances, and `getGenesisHash` (mainnet's, as the VM poses as mainnet). Served at
 * `<simulator>/solana-rpc`, so `createWallet(…, { solanaRpcUrl: sim.solanaRpcUrl })` needs no network.
 */
export function answerSolanaRpc(chain: SolanaChain, request: any): Promise<unknown> | unknown {
  if (Array.isArray(request)) return Promise.all(request.map((r) => answerSolanaRpc(chain, r)));
  const id = request?.id ?? null;
  const ok = (result: unknown) => ({ jsonrpc: '2.0', id, result });
  const error = (code: number, message: string) => ({ jsonrpc: '2.0', id, error: { code, message } });
  const { svm } = chain;
  const params: unknown[] = Array.isArray(request?.params) ? request.params : [];
  const slot = Number(svm.getClock().slot);
  const context = { slot, apiVersion: '2.2.0' };
  const target = (): Address | undefined => {
    try {
      return address(String(params[0]));
    } catch {
      return undefined;
    }
  };
  switch (request?.method) {
    case 'getHealth':
      return ok('ok');
    case 'getGenesisHash':
      return ok(SOLANA_CHAIN_REFERENCE);
    case 'getSlot':
    case 'getBlockHeight':
      return ok(slot);
    case 'getLatestBlockhash':
      return ok({ context, value: { blockhash: svm.latestBlockhash(), lastValidBlockHeight: slot + 150 } });
    case 'getBalance': {
      const who = target();
      if (!who) return error(-32602, 'Invalid param: not a base58 address');
      return ok({ context, value: Number(svm.getBalance(who) ?? 0n) });
    }
    case 'getAccountInfo': {
      const who = target();
      if (!who) return error(-32602, 'Invalid param: not a base58 address');
      const account = svm.getAccount(who);
      if (!account.exists) return ok({ context, value: null });
      return ok({
        context,
        value: {
          data: [Buffer.from(account.data).toString('base64'), 'base64'],
          executable: account.executable,
          lamports: Number(account.lamports),
          owner: account.programAddress,
          rentEpoch: 0,
          space: account.data.length,
        },
      });
    }
    case 'getTokenAccountBalance': {
      const who = target();
      const account = who ? svm.getAccount(who) : undefined;
      if (!account?.exists) return error(-32602, 'Invalid param: could not find account');
      const amount = getTokenDecoder().decode(account.data).amount;
      const uiAmount = Number(amount) / 1e6;
      return ok({
        context,
        value: { amount: amount.toString(), decimals: 6, uiAmount, uiAmountString: String(uiAmount) },
      });
    }
    default:
      return error(-32601, `Method not found: ${String(request?.method).slice(0, 64)}`);
  }
}
