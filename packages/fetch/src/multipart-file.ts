/**
 * The bytes of the first file part of a multipart/form-data body (a transcription's `file`), without copying;
 * undefined when the body is not multipart or carries no file.
 */
export function multipartFile(bytes: Uint8Array | undefined, contentType: string | null): Uint8Array | undefined {
  const boundary = /multipart\/form-data;.*boundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1];
  if (!bytes || !boundary) return undefined;
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  // The first delimiter may open the body without the leading CRLF.
  let at = body.indexOf(delimiter.subarray(2));
  while (at >= 0) {
    const headStart = body.indexOf('\r\n', at) + 2;
    const headEnd = body.indexOf('\r\n\r\n', headStart);
    if (headStart < 2 || headEnd < 0) return undefined;
    const next = body.indexOf(delimiter, headEnd);
    const head = body.toString('latin1', headStart, headEnd);
    if (/content-disposition:[^\r\n]*\bfilename=/i.test(head))
      return bytes.subarray(headEnd + 4, next < 0 ? bytes.length : next);
    at = next < 0 ? -1 : next + 2;
  }
  return undefined;
}
