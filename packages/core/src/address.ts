import type { Address } from 'viem';
import { keccak256Hex } from './keccak.js';

/** EIP-55: `hex` (40 lower-case hex digits) with the case that its keccak-256 asks for, as viem's `getAddress`. */
export function checksumAddress(hex: string): Address {
  const hash = keccak256Hex(hex);
  let out = '0x';
  for (let i = 0; i < 40; i++) out += Number.parseInt(hash[i]!, 16) >= 8 ? hex[i]!.toUpperCase() : hex[i]!;
  return out as Address;
}

/** 0x + 40 hex digits written with its EIP-55 checksum. */
export const isChecksummed = (address: string): boolean =>
  /^0x[0-9a-fA-F]{40}$/.test(address) && checksumAddress(address.slice(2).toLowerCase()) === address;
