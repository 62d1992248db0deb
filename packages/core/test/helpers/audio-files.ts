/** Real audio containers built byte by byte, so tests need no encoder and no binary fixtures. */

/** A mono 16-bit PCM WAV of `seconds` of silence at `rate`. */
export function wavFile(seconds: number, rate = 8000): Buffer {
  const data = Math.round(seconds * rate) * 2;
  const b = Buffer.alloc(44 + data);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(36 + data, 4);
  b.write('WAVEfmt ', 8, 'latin1');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'latin1');
  b.writeUInt32LE(data, 40);
  return b;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, i) => {
  let r = i << 24;
  for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
  return r >>> 0;
});

function oggCrc(b: Buffer): number {
  let crc = 0;
  for (const byte of b) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return crc;
}

export function oggPage(packets: Buffer[], granule: bigint, seq: number, flags: number): Buffer {
  const lacing: number[] = [];
  for (const p of packets) {
    for (let n = p.length; ; n -= 255) {
      lacing.push(Math.min(n, 255));
      if (n < 255) break;
    }
  }
  const head = Buffer.alloc(27 + lacing.length);
  head.write('OggS', 0, 'latin1');
  head[5] = flags;
  head.writeBigUInt64LE(granule, 6);
  head.writeUInt32LE(0x5eed, 14);
  head.writeUInt32LE(seq, 18);
  head[26] = lacing.length;
  lacing.forEach((v, i) => {
    head[27 + i] = v;
  });
  const page = Buffer.concat([head, ...packets]);
  page.writeUInt32LE(oggCrc(page), 22);
  return page;
}

/**
 * An Ogg Opus voice note: `seconds` of 60 ms SILK narrow-band packets at `bytesPerSecond` (750 B/s = 6 kbit/s,
 * Opus's floor), with a real OpusHead, OpusTags, CRCs and 48 kHz granule positions.
 */
export function oggOpusFile(seconds: number, bytesPerSecond = 750): Buffer {
  const preSkip = 312;
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1;
  head[9] = 1;
  head.writeUInt16LE(preSkip, 10);
  head.writeUInt32LE(16_000, 12);
  const vendor = 'venice-x402 test';
  const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
  tags.write('OpusTags', 0, 'latin1');
  tags.writeUInt32LE(vendor.length, 8);
  tags.write(vendor, 12, 'latin1');
  const pages = [oggPage([head], 0n, 0, 2), oggPage([tags], 0n, 1, 0)];
  const packetBytes = Math.round(bytesPerSecond * 0.06);
  const count = Math.round(seconds / 0.06);
  let granule = BigInt(preSkip);
  let seq = 2;
  for (let i = 0; i < count; i += 200) {
    const n = Math.min(200, count - i);
    const packets = Array.from({ length: n }, () => {
      const p = Buffer.alloc(packetBytes, 0x55);
      p[0] = 3 << 3; // TOC: SILK-only, narrow band, 60 ms, one frame
      return p;
    });
    granule += BigInt(n * 2880);
    pages.push(oggPage(packets, granule, seq++, i + n >= count ? 4 : 0));
  }
  return Buffer.concat(pages);
}

/** MPEG-1 Layer III at 128 kbit/s, 44.1 kHz: `frames` frames of 1152 samples, after a small ID3v2 tag. */
export function mp3File(frames: number): Buffer {
  const id3 = Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 10, ...new Array(10).fill(0)]);
  const frame = Buffer.alloc(417);
  frame.set([0xff, 0xfb, 0x90, 0x00]);
  return Buffer.concat([id3, ...Array.from({ length: frames }, () => frame)]);
}

/** A native FLAC header: STREAMINFO with `samples` samples at `rate`, no frames. */
export function flacFile(samples: number, rate = 16_000): Buffer {
  const info = Buffer.alloc(34);
  info.writeUInt16BE(4096, 0);
  info.writeUInt16BE(4096, 2);
  // rate (20 bits) | channels-1 (3) | bps-1 (5) | total samples (36)
  const packed = (BigInt(rate) << 44n) | (0n << 41n) | (15n << 36n) | BigInt(samples);
  info.writeBigUInt64BE(packed, 10);
  return Buffer.concat([Buffer.from('fLaC', 'latin1'), Buffer.from([0x80, 0, 0, 34]), info]);
}

const box = (type: string, ...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
};

/** An M4A whose movie header says `seconds` (the `moov` after the media, as many encoders write it). */
export function m4aFile(seconds: number): Buffer {
  const mvhd = Buffer.alloc(100);
  mvhd.writeUInt32BE(1000, 12); // timescale
  mvhd.writeUInt32BE(Math.round(seconds * 1000), 16);
  return Buffer.concat([
    box('ftyp', Buffer.from('M4A \0\0\0\0isom', 'latin1')),
    box('mdat', Buffer.alloc(64)),
    box('moov', box('mvhd', mvhd)),
  ]);
}

const ebml = (id: number[], data: Buffer, unknownSize = false) => {
  const size = unknownSize ? Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) : vsize(data.length);
  return Buffer.concat([Buffer.from(id), size, data]);
};
const vsize = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n | 0x10000000, 0);
  return b;
};
const block = (relative: number) => {
  const b = Buffer.alloc(4 + 20);
  b[0] = 0x81; // track 1
  b.writeInt16BE(relative, 1);
  return ebml([0xa3], b);
};

/**
 * A WebM as browsers' MediaRecorder writes it: unknown-size segment and clusters and no Duration, so only the
 * last block's timestamp tells the length (`lastMs`). With `durationMs`, the Info element states it.
 */
export function webmFile(lastMs: number, durationMs?: number): Buffer {
  const header = ebml([0x1a, 0x45, 0xdf, 0xa3], ebml([0x42, 0x82], Buffer.from('webm', 'latin1')));
  const scale = Buffer.alloc(3);
  scale.writeUIntBE(1_000_000, 0, 3);
  const infoParts = [ebml([0x2a, 0xd7, 0xb1], scale)];
  if (durationMs !== undefined) {
    const d = Buffer.alloc(8);
    d.writeDoubleBE(durationMs);
    infoParts.push(ebml([0x44, 0x89], d));
  }
  const cluster = (timecode: number, blocks: number[]) => {
    const tc = Buffer.alloc(4);
    tc.writeUInt32BE(timecode);
    return ebml([0x1f, 0x43, 0xb6, 0x75], Buffer.concat([ebml([0xe7], tc), ...blocks.map(block)]), true);
  };
  const split = Math.max(0, lastMs - 1000);
  const segment = Buffer.concat([
    ebml([0x15, 0x49, 0xa9, 0x66], Buffer.concat(infoParts)),
    cluster(0, [0, 20, 40]),
    cluster(split, [0, lastMs - split]),
  ]);
  return Buffer.concat([header, ebml([0x18, 0x53, 0x80, 0x67], segment, true)]);
}
