import { describe, expect, it } from 'vitest';
import { createEstimator } from '../src/index.js';
import { audioDurationSeconds, billableAudioSeconds, LOWEST_AUDIO_BYTES_PER_SECOND } from '../src/internal.js';
import { flacFile, m4aFile, mp3File, oggOpusFile, wavFile, webmFile } from './helpers/audio-files.js';

describe('audio length from the container', () => {
  it('reads WAV, Ogg Opus, MP3, FLAC, M4A and WebM (with and without a stated Duration)', () => {
    expect(audioDurationSeconds(wavFile(12.5))).toBeCloseTo(12.5, 6);
    expect(audioDurationSeconds(oggOpusFile(90))).toBeCloseTo(90, 1);
    expect(audioDurationSeconds(mp3File(1000))).toBeCloseTo((1000 * 1152) / 44_100, 6);
    expect(audioDurationSeconds(flacFile(16_000 * 42))).toBeCloseTo(42, 6);
    expect(audioDurationSeconds(m4aFile(61.25))).toBeCloseTo(61.25, 6);
    expect(audioDurationSeconds(webmFile(45_000))).toBeCloseTo(45, 3);
    expect(audioDurationSeconds(webmFile(45_000, 47_500))).toBeCloseTo(47.5, 3);
  });

  it('answers undefined, never throws, for unknown, truncated or hostile bytes', () => {
    const junk = [
      Buffer.alloc(0),
      Buffer.from('not audio at all'),
      wavFile(3).subarray(0, 30),
      oggOpusFile(5).subarray(0, 40),
      Buffer.from('RIFF\xff\xff\xff\xffWAVEfmt \xff\xff\xff\xff', 'latin1'),
      Buffer.concat([Buffer.from('\x1a\x45\xdf\xa3', 'latin1'), Buffer.alloc(64, 0xff)]),
      Buffer.concat([Buffer.alloc(4), Buffer.from('ftyp', 'latin1'), Buffer.alloc(4, 0xff)]),
    ];
    for (const bytes of junk) expect(audioDurationSeconds(bytes)).toBeUndefined();
  });

  it('holds unreadable audio at the lowest bitrate Venice accepts, and never below what its size allows', () => {
    const unknown = Buffer.alloc(750 * 400, 7);
    expect(billableAudioSeconds(unknown)).toBe(Math.ceil(unknown.length / LOWEST_AUDIO_BYTES_PER_SECOND));
    expect(billableAudioSeconds(undefined, 75_000)).toBe(100);
    // A header claiming one second for 16 MB of audio is not believed.
    const liar = wavFile(1);
    liar.writeUInt32LE(1_000_000_000, 28);
    expect(billableAudioSeconds(Buffer.concat([liar, Buffer.alloc(16_000_000)]))).toBeGreaterThan(10);
  });

  it('estimates a 1,333 s Opus voice note at 1,333 s, not at its byte size (~40× less)', async () => {
    const note = oggOpusFile(1333);
    expect(note.length).toBeLessThan(1_050_000); // ≈ 750 B/s
    const estimator = createEstimator({
      baseURL: null,
      defaultEstimateUsd: 0.05,
      models: [{ id: 'nvidia/parakeet-tdt-0.6b-v3', type: 'asr', perAudioSecond: 0.0001 }],
    });
    const estimate = await estimator.estimate({
      route: '/audio/transcriptions',
      body: { model: 'nvidia/parakeet-tdt-0.6b-v3' },
      bodyBytes: note.length + 300,
      audio: note,
    });
    // 22,217 packets of 60 ms: 1,333.02 s, held as 1,334 billable seconds at $0.0001.
    expect(estimate.micros).toBe(133_400n);
  });
});
