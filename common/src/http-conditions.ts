/** HTTP ranges and validators (RFC 9110 §13–14): the storage service serves them, the backend passes them on. */

/** Inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

export type RangeRequest =
  /** No usable Range header: send the whole representation (an invalid or multi-range header is ignored). */
  | { kind: 'whole' }
  | { kind: 'partial'; range: ByteRange }
  /** A well-formed range that starts past the end: 416 with `Content-Range: bytes *\/size`. */
  | { kind: 'unsatisfiable' };

const SPEC = /^(\d*)-(\d*)$/;

/**
 * Interprets a Range header for a representation of `size` bytes. Only one range is served: a request for several
 * gets the whole representation, which RFC 9110 allows (multipart/byteranges is optional).
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (!header) return { kind: 'whole' };
  const match = /^bytes=(.+)$/i.exec(header.trim());
  if (!match?.[1]) return { kind: 'whole' };
  const specs = match[1].split(',').map((spec) => spec.trim());
  if (specs.length !== 1) return { kind: 'whole' };
  const parts = SPEC.exec(specs[0] ?? '');
  if (!parts) return { kind: 'whole' };
  const [, first = '', last = ''] = parts;
  if (first === '' && last === '') return { kind: 'whole' };
  if (first === '') {
    // Suffix range: the last N bytes.
    const length = Number(last);
    if (!Number.isSafeInteger(length)) return { kind: 'whole' };
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - length), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === '' ? Number.MAX_SAFE_INTEGER : Number(last);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end: Math.min(end, size - 1) } };
}

type HeaderValue = string | string[] | undefined;

const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
const single = (value: HeaderValue) => (Array.isArray(value) ? value.join(', ') : value);

/** If-None-Match: true when one of the listed tags matches `etag` (weak comparison), or the list is `*`. */
export function noneMatch(value: HeaderValue, etag: string): boolean {
  const header = single(value);
  if (!header) return false;
  if (header.trim() === '*') return true;
  const wanted = opaque(etag);
  return header.split(',').some((tag) => opaque(tag) === wanted);
}

/** If-Range: a Range applies only when the validator still matches (strong comparison; dates are not honoured). */
export function rangeStillValid(value: HeaderValue, etag: string): boolean {
  const header = single(value);
  if (!header) return true;
  const tag = header.trim();
  return !tag.startsWith('W/') && tag === etag;
}

export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}
