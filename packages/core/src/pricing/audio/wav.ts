/** Seconds of a RIFF/WAVE file: the `data` chunk's size over the `fmt ` chunk's average byte rate. */
export function wavSeconds(b: Uint8Array): number | undefined {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let byteRate: number | undefined;
  let pos = 12;
  while (pos + 8 <= b.length) {
    const id = String.fromCharCode(b[pos]!, b[pos + 1]!, b[pos + 2]!, b[pos + 3]!);
    const size = v.getUint32(pos + 4, true);
    const start = pos + 8;
    if (id === 'fmt ' && start + 12 <= b.length) byteRate = v.getUint32(start + 8, true);
    if (id === 'data') {
      // A streamed WAV may declare 0 or 0xFFFFFFFF: what is present is what is sent.
      const present = b.length - start;
      const bytes = size === 0 || size > present ? present : size;
      return byteRate ? bytes / byteRate : undefined;
    }
    pos = start + size + (size & 1); // chunks are word-aligned
  }
  return undefined;
}
