/**
 * Seconds of a FLAC stream: STREAMINFO's total samples / sample rate, but never less than its bytes played as
 * uncompressed PCM (FLAC is never larger than that): a decoder plays every frame whatever the total claims.
 * Undefined when the rate is unknown.
 */
export function flacSeconds(b: Uint8Array, at = 4): number | undefined {
  // METADATA_BLOCK_HEADER (4 bytes), then STREAMINFO: 10 bytes of block sizes, then rate(20) channels(3) bps(5) samples(36).
  const s = at + 4 + 10;
  if (s + 8 > b.length || (b[at]! & 0x7f) !== 0) return undefined;
  const rate = (b[s]! << 12) | (b[s + 1]! << 4) | (b[s + 2]! >> 4);
  const channels = ((b[s + 2]! >> 1) & 7) + 1;
  const bitsPerSample = (((b[s + 2]! & 1) << 4) | (b[s + 3]! >> 4)) + 1;
  const samples =
    (b[s + 3]! & 0x0f) * 2 ** 32 + ((b[s + 4]! << 24) >>> 0) + (b[s + 5]! << 16) + (b[s + 6]! << 8) + b[s + 7]!;
  if (rate <= 0) return undefined;
  const pcmBytesPerSecond = (rate * channels * bitsPerSample) / 8;
  return Math.max(samples / rate, (b.length - at) / pcmBytesPerSecond);
}
