/**
 * Seconds of a RIFF/WAVE file: the `data` chunk's size over the `fmt ` chunk's byte rate — the lower of its
 * average byte rate field and sample rate × block align. A decoder plays PCM from the sample rate and block size
 * whatever the average field says, so a lying field must not shorten the estimate (for ADPCM, where a block holds
 * many samples, the average field is the lower one and is right).
 */
export function wavSeconds(b: Uint8Array): number | undefined {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let byteRate: number | undefined;
  let pos = 12;
  while (pos + 8 <= b.length) {
    const id = String.fromCharCode(b[pos]!, b[pos + 1]!, b[pos + 2]!, b[pos + 3]!);
    const size = v.getUint32(pos + 4, true);
    const start = pos + 8;
    if (id === 'fmt ' && start + 14 <= b.length) {
      const rates = [v.getUint32(start + 8, true), v.getUint32(start + 4, true) * v.getUint16(start + 12, true)];
      const positive = rates.filter((r) => r > 0);
      byteRate = positive.length ? Math.min(...positive) : undefined;
    }
    if (id === 'data') {
      // Everything after the header is sent, whatever size the chunk declares (0, 0xFFFFFFFF, or a lie that
      // is short): a decoder that reads on bills it, so it is all held.
      return byteRate ? (b.length - start) / byteRate : undefined;
    }
    pos = start + size + (size & 1); // chunks are word-aligned
  }
  return undefined;
}
