import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCode } from './errors.ts';

/** Why a request's API key was refused, with the status and `{detail, code}` body every service answers. */
export interface ApiKeyFailure {
  readonly status: 406 | 401;
  readonly code: typeof ErrorCode.API_KEY_MISSING | typeof ErrorCode.API_KEY_INVALID;
  readonly detail: string;
}

const MISSING: ApiKeyFailure = {
  status: 406,
  code: ErrorCode.API_KEY_MISSING,
  detail: 'Missing required header: X-API-Key',
};
const INVALID: ApiKeyFailure = { status: 401, code: ErrorCode.API_KEY_INVALID, detail: 'Invalid API key' };

// Comparing fixed-length digests keeps timingSafeEqual from throwing on a length mismatch, and its timing from
// revealing the key's length.
const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** The configured API key in the form `checkApiKey` compares against; compute it once, at start-up. */
export const apiKeyDigest = (apiKey: string): Buffer => digest(apiKey);

/**
 * Checks the key a client presented (the `X-API-Key` header, or the query parameter WebSocket clients must use)
 * against `expected` (from `apiKeyDigest`), in constant time: null when it matches; missing or empty → 406, wrong
 * → 401, as SelfDB 0.0.5. Of a repeated value the first counts; an empty first one is a wrong key.
 */
export function checkApiKey(
  presented: string | readonly string[] | null | undefined,
  expected: Buffer,
): ApiKeyFailure | null {
  if (presented === undefined || presented === null || presented === '') return MISSING;
  const value = typeof presented === 'string' ? presented : presented[0];
  if (!value || !timingSafeEqual(digest(value), expected)) return INVALID;
  return null;
}
