const ALIASES: Record<string, string> = {
  base: 'eip155:8453',
  'base-sepolia': 'eip155:84532',
  ethereum: 'eip155:1',
  solana: 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp',
};

/**
 * Normalises the network names x402 servers use (`base`, `eip155:8453`, `solana`) to CAIP-2. A Solana reference
 * is a base58 genesis hash and keeps its case; only the namespace is lowercased.
 */
export function normalizeNetwork(network: string): string {
  const trimmed = network.trim();
  const lower = trimmed.toLowerCase();
  if (ALIASES[lower]) return ALIASES[lower];
  if (lower.startsWith('solana:')) return `solana:${trimmed.slice('solana:'.length)}`;
  return lower;
}

export type WalletFamily = 'evm' | 'solana';

/** `evm` for eip155 networks, `solana` for solana ones, undefined for anything else. */
export function networkFamily(network: string): WalletFamily | undefined {
  const caip = normalizeNetwork(network);
  if (caip.startsWith('eip155:')) return 'evm';
  if (caip.startsWith('solana:')) return 'solana';
  return undefined;
}

/** `eip155:8453` → 8453; undefined for non-EVM networks. */
export function evmChainId(network: string): number | undefined {
  const m = /^eip155:(\d{1,12})$/.exec(normalizeNetwork(network));
  return m ? Number(m[1]) : undefined;
}

/** The v1 short name for a CAIP-2 EVM network, as the legacy payload layout uses (`base`). */
export function shortNetworkName(network: string): string {
  const caip = normalizeNetwork(network);
  for (const [short, full] of Object.entries(ALIASES)) if (full === caip) return short;
  return caip;
}
