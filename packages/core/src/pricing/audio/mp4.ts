/** Seconds of an MP4 / M4A file from the movie header (`moov` → `mvhd`); undefined for fragmented or broken files. */
export function mp4Seconds(b: Uint8Array): number | undefined {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const box = (from: number, to: number, type: string): [number, number] | undefined => {
    let pos = from;
    while (pos + 8 <= to) {
      let size = v.getUint32(pos);
      let header = 8;
      if (size === 1 && pos + 16 <= to) {
        size = v.getUint32(pos + 8) * 2 ** 32 + v.getUint32(pos + 12);
        header = 16;
      } else if (size === 0) size = to - pos;
      if (size < header) return undefined;
      const name = String.fromCharCode(b[pos + 4]!, b[pos + 5]!, b[pos + 6]!, b[pos + 7]!);
      if (name === type) return [pos + header, Math.min(pos + size, to)];
      pos += size;
    }
    return undefined;
  };
  const moov = box(0, b.length, 'moov');
  const mvhd = moov && box(moov[0], moov[1], 'mvhd');
  if (!mvhd) return undefined;
  const [at, end] = mvhd;
  const version = b[at];
  const fields = version === 1 ? at + 4 + 16 : at + 4 + 8;
  if (fields + (version === 1 ? 12 : 8) > end) return undefined;
  const timescale = v.getUint32(fields);
  const duration =
    version === 1 ? v.getUint32(fields + 4) * 2 ** 32 + v.getUint32(fields + 8) : v.getUint32(fields + 4);
  if (!timescale || !duration || duration === 0xffffffff) return undefined;
  return duration / timescale;
}
