/**
 * SSE ends a line at CRLF, LF or CR alone (the WHATWG event-stream format), and the parsers apps use (the OpenAI
 * and AI SDKs') read all three: whatever watches or rewrites a stream must split where they do.
 */
const LINE_END = /\r\n|\r|\n/;
const LINE_ENDS = /(\r\n|\r|\n)/;

/** Where the last complete line of `text` ends (after its terminator), or -1 when there is none. */
export function completeLinesEnd(text: string): number {
  const end = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
  return end < 0 ? -1 : end + 1;
}

/** The lines of `text`, without their terminators. */
export const sseLines = (text: string): string[] => text.split(LINE_END);

/** Rewrites each line of `text` with `map`, keeping every terminator as it was. */
export const mapSseLines = (text: string, map: (line: string) => string): string =>
  text
    .split(LINE_ENDS)
    .map((part, i) => (i % 2 === 0 ? map(part) : part))
    .join('');

/** Longest SSE line a reader holds back while it waits for its end (a chat frame is well under a KiB). */
export const MAX_SSE_LINE_CHARS = 1024 * 1024;
