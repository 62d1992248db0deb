/**
 * Seconds of an MP4 / M4A file: the longest of the movie header (`mvhd`), each track's media header (`mdhd`) and
 * its time-to-sample table (`stts`); undefined for fragmented or broken files.
 */
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
  if (!moov) return undefined;
  // A player times audio by each track's sample table, whatever the movie header says: take the longest claim.
  let seconds = headerSeconds(b, v, box(moov[0], moov[1], 'mvhd')) ?? 0;
  for (let pos = moov[0]; ; ) {
    const trak = box(pos, moov[1], 'trak');
    if (!trak) break;
    const mdia = box(trak[0], trak[1], 'mdia');
    const mdhd = mdia && box(mdia[0], mdia[1], 'mdhd');
    seconds = Math.max(seconds, headerSeconds(b, v, mdhd) ?? 0);
    const timescale = mdhd && timescaleOf(b, v, mdhd);
    const minf = mdia && box(mdia[0], mdia[1], 'minf');
    const stbl = minf && box(minf[0], minf[1], 'stbl');
    const stts = stbl && box(stbl[0], stbl[1], 'stts');
    if (timescale && stts) seconds = Math.max(seconds, sttsTicks(v, stts) / timescale);
    pos = trak[1];
  }
  return seconds > 0 ? seconds : undefined;
}

/** Where the timescale field of an `mvhd` / `mdhd` box body starts (after version, flags and two dates). */
const fieldsOf = (b: Uint8Array, at: number) => (b[at] === 1 ? at + 4 + 16 : at + 4 + 8);

function timescaleOf(b: Uint8Array, v: DataView, [at, end]: [number, number]): number | undefined {
  const fields = fieldsOf(b, at);
  return fields + 4 <= end ? v.getUint32(fields) : undefined;
}

/** Duration / timescale of an `mvhd` or `mdhd` box; undefined when unstated. */
function headerSeconds(b: Uint8Array, v: DataView, found: [number, number] | undefined): number | undefined {
  if (!found) return undefined;
  const [at, end] = found;
  const version = b[at];
  const fields = fieldsOf(b, at);
  if (fields + (version === 1 ? 12 : 8) > end) return undefined;
  const timescale = v.getUint32(fields);
  const duration =
    version === 1 ? v.getUint32(fields + 4) * 2 ** 32 + v.getUint32(fields + 8) : v.getUint32(fields + 4);
  if (!timescale || !duration || duration === 0xffffffff) return undefined;
  return duration / timescale;
}

/** The ticks a time-to-sample table (`stts`) adds up to: Σ sample count × sample delta. */
function sttsTicks(v: DataView, [at, end]: [number, number]): number {
  const entries = at + 8 <= end ? v.getUint32(at + 4) : 0;
  let ticks = 0;
  for (let i = 0, p = at + 8; i < entries && p + 8 <= end; i++, p += 8) ticks += v.getUint32(p) * v.getUint32(p + 4);
  return ticks;
}
