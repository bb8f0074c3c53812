import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed download URLs: `/storage/signed/<bucket>/<path>?expires=<unix seconds>&signature=<base64url>`, where the
 * signature is an HMAC-SHA256 over the file's id, bucket, path and expiry, with a key derived from SECRET_KEY.
 * Signing the id means a URL dies with its file: a new file uploaded later at the same path does not match.
 */
export function createUrlSigner(secretKey: string) {
  const key = createHmac('sha256', secretKey).update('selfdb-signed-download-url').digest();

  function signature(fileId: string, bucket: string, path: string, expires: number): Buffer {
    return createHmac('sha256', key).update(`${fileId}\n${bucket}\n${path}\n${expires}`).digest();
  }

  return {
    /** The URL path and query, relative to the API's base URL. */
    sign(file: { id: string; path: string }, bucket: string, expires: number): string {
      const encodedPath = file.path.split('/').map(encodeURIComponent).join('/');
      const token = signature(file.id, bucket, file.path, expires).toString('base64url');
      return `/storage/signed/${bucket}/${encodedPath}?expires=${expires}&signature=${token}`;
    },

    /** True when `token` is the signature of this file, bucket, path and expiry (compared in constant time). */
    verify(file: { id: string; path: string }, bucket: string, expires: number, token: string): boolean {
      const expected = signature(file.id, bucket, file.path, expires);
      const presented = Buffer.from(token, 'base64url');
      return presented.length === expected.length && timingSafeEqual(presented, expected);
    },
  };
}

export type UrlSigner = ReturnType<typeof createUrlSigner>;
