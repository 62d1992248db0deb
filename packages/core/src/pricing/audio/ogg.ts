import { flacSeconds } from './flac.js';

const CAPTURE = [0x4f, 0x67, 0x67, 0x53]; // "OggS"

const isPage = (b: Uint8Array, i: number) =>
  i + 27 <= b.length && CAPTURE.every((c, k) => b[i + k] === c) && b[i + 4] === 0;

const granuleOf = (v: DataView, i: number) => v.getUint32(i + 6, true) + v.getUint32(i + 10, true) * 2 ** 32;
const serialOf = (v: DataView, i: number) => v.getUint32(i + 14, true);
const ascii = (b: Uint8Array, from: number, n: number) => String.fromCharCode(...b.subarray(from, from + n));

/**
 * Seconds of an Ogg stream (Opus, Vorbis, Speex, FLAC): the largest granule position of the first logical stream,
 * over the codec's sample rate (Opus granules are 48 kHz, less the pre-skip).
 */
export function oggSeconds(b: Uint8Array): number | undefined {
  if (!isPage(b, 0)) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const serial = serialOf(v, 0);
  const packet = 27 + b[26]!; // first packet starts after the segment table
  let rate: number | undefined;
  let skip = 0;
  if (ascii(b, packet, 8) === 'OpusHead' && packet + 12 <= b.length) {
    rate = 48_000;
    skip = v.getUint16(packet + 10, true);
  } else if (ascii(b, packet, 7) === '\x01vorbis' && packet + 16 <= b.length) rate = v.getUint32(packet + 12, true);
  else if (ascii(b, packet, 8) === 'Speex   ' && packet + 40 <= b.length) rate = v.getUint32(packet + 36, true);
  else if (ascii(b, packet, 5) === '\x7fFLAC') {
    const total = flacSeconds(b, packet + 13);
    const s = packet + 13 + 4 + 10;
    rate = s + 3 <= b.length ? (b[s]! << 12) | (b[s + 1]! << 4) | (b[s + 2]! >> 4) : undefined;
    if (!rate && total) return total;
  }
  if (!rate) return undefined;
  // The largest granule of any page of this stream (-1 means no packet ends on that page): a last page that
  // claims less than the pages before it does not shorten what a decoder plays.
  let granule = -1;
  for (let i = 1; i + 27 <= b.length; i++) {
    if (b[i] !== 0x4f || !isPage(b, i) || serialOf(v, i) !== serial) continue;
    if (v.getUint32(i + 6, true) === 0xffffffff && v.getUint32(i + 10, true) === 0xffffffff) continue;
    granule = Math.max(granule, granuleOf(v, i));
  }
  if (granule >= 0) {
    const samples = granule - skip;
    return samples > 0 ? samples / rate : undefined;
  }
  return undefined;
}
