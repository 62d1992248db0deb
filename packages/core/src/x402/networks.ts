const ALIASES: Record<string, string> = {
  base: 'eip155:8453',
  'base-sepolia': 'eip155:84532',
  ethereum: 'eip155:1',
  solana: 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp',
};

/** Normalises the network names x402 servers use (`base`, `eip155:8453`) to CAIP-2. */
export function normalizeNetwork(network: string): string {
  const lower = network.trim().toLowerCase();
  return ALIASES[lower] ?? lower;
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
