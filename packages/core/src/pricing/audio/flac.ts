/** Seconds of a native FLAC stream from STREAMINFO (total samples / sample rate); undefined when unknown. */
export function flacSeconds(b: Uint8Array, at = 4): number | undefined {
  // METADATA_BLOCK_HEADER (4 bytes), then STREAMINFO: 10 bytes of block sizes, then rate(20) channels(3) bps(5) samples(36).
  const s = at + 4 + 10;
  if (s + 8 > b.length || (b[at]! & 0x7f) !== 0) return undefined;
  const rate = (b[s]! << 12) | (b[s + 1]! << 4) | (b[s + 2]! >> 4);
  const samples =
    (b[s + 3]! & 0x0f) * 2 ** 32 + ((b[s + 4]! << 24) >>> 0) + (b[s + 5]! << 16) + (b[s + 6]! << 8) + b[s + 7]!;
  return rate > 0 && samples > 0 ? samples / rate : undefined;
}
