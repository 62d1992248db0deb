/** Solana mainnet (CAIP-2) and its USDC mint, as Venice advertises them (docs/venice-protocol.md §0, §4.1). */
export const SOLANA_NETWORK = 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp';
/** The genesis-hash reference written on a Solana sign-in message's `Chain ID` line. */
export const SOLANA_CHAIN_REFERENCE = '5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp';
/** Circle's USDC mint on Solana mainnet (6 decimals, SPL Token program). */
export const SOLANA_USDC = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';
/** The SPL Token program, which owns the USDC mint. */
export const SPL_TOKEN_PROGRAM = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
