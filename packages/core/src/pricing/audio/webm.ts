const SEGMENT = 0x18538067;
const INFO = 0x1549a966;
const CLUSTER = 0x1f43b675;
const BLOCK_GROUP = 0xa0;
const TIMECODE_SCALE = 0x2ad7b1;
const DURATION = 0x4489;
const CLUSTER_TIMECODE = 0xe7;
const SIMPLE_BLOCK = 0xa3;
const BLOCK = 0xa1;
/** Masters read in place (their children are walked as if they were siblings), so unknown sizes need no nesting. */
const TRANSPARENT = new Set([SEGMENT, INFO, CLUSTER, BLOCK_GROUP]);

/** A variable-size integer at `i`: its value (marker kept for ids, removed for sizes) and length. */
function vint(b: Uint8Array, i: number, keepMarker: boolean): { value: number; length: number; unknown: boolean } {
  const first = b[i]!;
  let length = 1;
  while (length <= 8 && !(first & (0x80 >> (length - 1)))) length++;
  if (length > 8 || i + length > b.length) return { value: -1, length: 1, unknown: false };
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let k = 1; k < length; k++) {
    value = value * 256 + b[i + k]!;
    if (b[i + k] !== 0xff) allOnes = false;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

const uint = (b: Uint8Array, from: number, to: number) => {
  let n = 0;
  for (let k = from; k < to; k++) n = n * 256 + b[k]!;
  return n;
};

/**
 * Seconds of a WebM / Matroska file: the later of the Info `Duration` and the last block's timestamp (recordings
 * from browsers' MediaRecorder write no Duration). Undefined when neither is found.
 */
export function webmSeconds(b: Uint8Array): number | undefined {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let scale = 1_000_000; // ns per timestamp tick
  let declared: number | undefined;
  let cluster = 0;
  let last = -1;
  let i = 0;
  while (i < b.length) {
    const id = vint(b, i, true);
    if (id.value < 0) break;
    const size = vint(b, i + id.length, false);
    if (size.value < 0) break;
    const start = i + id.length + size.length;
    if (TRANSPARENT.has(id.value)) {
      i = start;
      continue;
    }
    if (size.unknown) break; // only masters may have an unknown size
    const end = Math.min(start + size.value, b.length);
    if (id.value === TIMECODE_SCALE) scale = uint(b, start, end) || scale;
    else if (id.value === DURATION && (end - start === 4 || end - start === 8))
      declared = end - start === 4 ? v.getFloat32(start) : v.getFloat64(start);
    else if (id.value === CLUSTER_TIMECODE) cluster = uint(b, start, end);
    else if ((id.value === SIMPLE_BLOCK || id.value === BLOCK) && end - start >= 4) {
      const track = vint(b, start, false);
      const at = start + track.length;
      if (at + 2 <= end) last = Math.max(last, cluster + v.getInt16(at));
    }
    i = start + size.value;
  }
  // The later of the declared Duration and the last block: a Duration shorter than the blocks is not what plays.
  const ticks = declared !== undefined && Number.isFinite(declared) && declared > last ? declared : last;
  return ticks > 0 ? (ticks * scale) / 1e9 : undefined;
}
