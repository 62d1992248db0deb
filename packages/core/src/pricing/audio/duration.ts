import { flacSeconds } from './flac.js';
import { mp4Seconds } from './mp4.js';
import { looksLikeMpeg, mpegSeconds } from './mpeg.js';
import { oggSeconds } from './ogg.js';
import { wavSeconds } from './wav.js';
import { webmSeconds } from './webm.js';

/**
 * The fewest bytes a second of audio takes in any format Venice transcribes (wav, flac, m4a/mp4, aac, mp3, ogg,
 * webm): Opus at its 6 kbit/s floor. Audio whose length cannot be read is assumed to be this dense, so no
 * upload is estimated shorter than it can be.
 */
export const LOWEST_AUDIO_BYTES_PER_SECOND = 750;

const starts = (b: Uint8Array, text: string, at = 0) => {
  for (let k = 0; k < text.length; k++) if (b[at + k] !== text.charCodeAt(k)) return false;
  return true;
};

/**
 * Seconds of audio in a file, read from its container (WAV, FLAC, Ogg Opus/Vorbis/Speex/FLAC, MP3, ADTS AAC,
 * MP4/M4A, WebM/Matroska). Undefined when the format is not recognised or its length is not stated.
 * A dependency-free parser: `music-metadata` is ESM-only and needs Node ≥ 22 (this package supports 20 and CommonJS).
 */
export function audioDurationSeconds(bytes: Uint8Array): number | undefined {
  let seconds: number | undefined;
  try {
    if (starts(bytes, 'RIFF') && starts(bytes, 'WAVE', 8)) seconds = wavSeconds(bytes);
    else if (starts(bytes, 'fLaC')) seconds = flacSeconds(bytes);
    else if (starts(bytes, 'OggS')) seconds = oggSeconds(bytes);
    else if (starts(bytes, '\x1a\x45\xdf\xa3')) seconds = webmSeconds(bytes);
    else if (starts(bytes, 'ftyp', 4)) seconds = mp4Seconds(bytes);
    else if (looksLikeMpeg(bytes)) seconds = mpegSeconds(bytes);
  } catch {
    seconds = undefined; // a truncated or hostile header is an unreadable one
  }
  return seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/** More bytes per second than any audio Venice takes (192 kHz, stereo, 32-bit): a header claiming less time is a lie. */
const HIGHEST_AUDIO_BYTES_PER_SECOND = 1_536_000;

/**
 * Seconds to hold an upload at: its stated length (never less than its size allows), else its size at the lowest
 * bitrate Venice accepts. `sizeWhenAbsent`: the whole body's size when the file itself could not be found.
 */
export function billableAudioSeconds(bytes: Uint8Array | undefined, sizeWhenAbsent = 0): number {
  const size = bytes?.length ?? sizeWhenAbsent;
  const stated = bytes && audioDurationSeconds(bytes);
  const seconds =
    stated === undefined
      ? size / LOWEST_AUDIO_BYTES_PER_SECOND
      : Math.max(stated, size / HIGHEST_AUDIO_BYTES_PER_SECOND);
  return Math.ceil(seconds);
}
