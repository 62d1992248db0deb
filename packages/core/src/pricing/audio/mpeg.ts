const MP3_KBPS = {
  v1: [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448], // layer I
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384], // layer II
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320], // layer III
  ],
  v2: [
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
};
const MP3_RATES = [44_100, 48_000, 32_000];
const ADTS_RATES = [
  96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025, 8_000, 7_350,
];

interface Frame {
  length: number;
  samples: number;
  rate: number;
}

/** An MPEG audio (MP1/2/3) or ADTS (AAC) frame header at `i`; undefined when there is none. */
function frameAt(b: Uint8Array, i: number): Frame | undefined {
  if (i + 7 > b.length || b[i] !== 0xff || (b[i + 1]! & 0xe0) !== 0xe0) return undefined;
  const layerBits = (b[i + 1]! >> 1) & 3;
  if (layerBits === 0 && (b[i + 1]! & 0xf0) === 0xf0) {
    // ADTS: 13-bit frame length, 1024 samples per raw block.
    const rate = ADTS_RATES[(b[i + 2]! >> 2) & 0x0f];
    const length = ((b[i + 3]! & 3) << 11) | (b[i + 4]! << 3) | (b[i + 5]! >> 5);
    const blocks = (b[i + 6]! & 3) + 1;
    return rate && length >= 7 ? { length, samples: 1024 * blocks, rate } : undefined;
  }
  const versionBits = (b[i + 1]! >> 3) & 3; // 0: 2.5, 2: 2, 3: 1
  if (versionBits === 1 || layerBits === 0) return undefined;
  const layer = 4 - layerBits; // 1, 2 or 3
  const v1 = versionBits === 3;
  const kbps = (v1 ? MP3_KBPS.v1 : MP3_KBPS.v2)[layer - 1]![(b[i + 2]! >> 4) & 0x0f];
  const base = MP3_RATES[(b[i + 2]! >> 2) & 3];
  if (!kbps || !base) return undefined;
  const rate = v1 ? base : versionBits === 2 ? base / 2 : base / 4;
  const padding = (b[i + 2]! >> 1) & 1;
  const samples = layer === 1 ? 384 : layer === 3 && !v1 ? 576 : 1152;
  const length =
    layer === 1
      ? (Math.floor((12 * kbps * 1000) / rate) + padding) * 4
      : Math.floor(((samples / 8) * kbps * 1000) / rate) + padding;
  return { length, samples, rate };
}

/** Bytes of a leading ID3v2 tag (0 when there is none). */
function id3Length(b: Uint8Array): number {
  if (b.length < 10 || b[0] !== 0x49 || b[1] !== 0x44 || b[2] !== 0x33) return 0;
  const size = ((b[6]! & 0x7f) << 21) | ((b[7]! & 0x7f) << 14) | ((b[8]! & 0x7f) << 7) | (b[9]! & 0x7f);
  return 10 + size + (b[5]! & 0x10 ? 10 : 0);
}

/**
 * Seconds of an MP3 (or MP1/MP2) or ADTS AAC stream, by walking every frame: exact for constant and variable
 * bitrates alike, and no header (Xing, VBRI) is taken on trust. Undefined when no run of frames is found.
 */
export function mpegSeconds(b: Uint8Array): number | undefined {
  let i = id3Length(b);
  let seconds = 0;
  let frames = 0;
  while (i < b.length) {
    const f = frameAt(b, i);
    // A frame counts only when the next one follows it (or the data ends): stray 0xFFE bits are not frames.
    if (f && f.length > 0 && (i + f.length >= b.length - 128 || frameAt(b, i + f.length))) {
      seconds += f.samples / f.rate;
      frames++;
      i += f.length;
    } else i++;
  }
  return frames >= 2 ? seconds : undefined;
}

/** Whether the bytes start like an MPEG audio / ADTS stream (after any ID3v2 tag). */
export const looksLikeMpeg = (b: Uint8Array) => {
  const i = id3Length(b);
  return i > 0 || frameAt(b, i) !== undefined;
};
