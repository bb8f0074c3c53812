import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signature checks of incoming webhooks in the three common forms, over the raw request bytes:
 * - GitHub: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the body.
 * - Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 of `${t}.${body}`.
 * - Standard Webhooks (also Svix's `svix-*` names): `webhook-id`, `webhook-timestamp`,
 *   `webhook-signature: v1,<base64>[ v1,<base64>…]`, HMAC-SHA256 of `${id}.${timestamp}.${body}`; a `whsec_<base64>`
 *   secret is the base64-decoded key.
 * Pure functions: malformed headers make a signature invalid, never an exception. Comparisons are constant-time.
 */

/** How far a signed timestamp may be from now (either way) before the signature counts as stale or replayed. */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export type SignatureScheme = 'github' | 'stripe' | 'standard';

export interface SignatureCheck {
  /** null: the request carries no signature header of any known form. */
  scheme: SignatureScheme | null;
  /** null when unsigned; otherwise whether every signature form present verified. */
  valid: boolean | null;
  /** Why a present signature failed (for logs and the 401 detail; never contains a secret). */
  reason?: string;
}

/** Request headers as Node gives them: lower-case names, a string (or an array for a few repeated ones). */
export type HeaderMap = Record<string, string | string[] | undefined>;

/** Header names whose values are signatures: stored redacted with the delivery. */
export const SIGNATURE_HEADERS: readonly string[] = [
  'x-hub-signature-256',
  'x-hub-signature',
  'stripe-signature',
  'webhook-signature',
  'svix-signature',
];

function header(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : value;
}

function hmac(key: Buffer | string, ...parts: (string | Buffer)[]): Buffer {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Constant-time equality of a computed MAC and a presented one (false when the lengths differ). */
function sameMac(expected: Buffer, presented: Buffer): boolean {
  return presented.length === expected.length && timingSafeEqual(expected, presented);
}

const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;
const DIGITS = /^\d{1,15}$/;

function isFresh(timestamp: string, nowSeconds: number, toleranceSeconds: number): boolean {
  if (!DIGITS.test(timestamp)) return false;
  return Math.abs(nowSeconds - Number(timestamp)) <= toleranceSeconds;
}

/** GitHub: `sha256=<hex>` over the raw body. */
export function verifyGithubSignature(value: string, secret: string, body: Buffer): SignatureCheck {
  const match = /^sha256=([0-9a-fA-F]+)$/.exec(value.trim());
  if (!match?.[1] || !HEX_SHA256.test(match[1])) {
    return { scheme: 'github', valid: false, reason: 'malformed X-Hub-Signature-256 header' };
  }
  const valid = sameMac(hmac(secret, body), Buffer.from(match[1], 'hex'));
  return { scheme: 'github', valid, ...(!valid && { reason: 'signature does not match' }) };
}

/** Stripe: `t=<unix seconds>,v1=<hex>[,v1=<hex>…]` over `${t}.${body}`; valid when any v1 matches and t is fresh. */
export function verifyStripeSignature(
  value: string,
  secret: string,
  body: Buffer,
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): SignatureCheck {
  let timestamp: string | undefined;
  const candidates: string[] = [];
  for (const item of value.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const key = item.slice(0, eq).trim();
    const val = item.slice(eq + 1).trim();
    if (key === 't' && timestamp === undefined) timestamp = val;
    else if (key === 'v1') candidates.push(val);
  }
  if (timestamp === undefined || !DIGITS.test(timestamp) || candidates.length === 0) {
    return { scheme: 'stripe', valid: false, reason: 'malformed Stripe-Signature header' };
  }
  if (!isFresh(timestamp, nowSeconds, toleranceSeconds)) {
    return { scheme: 'stripe', valid: false, reason: 'timestamp outside the tolerance' };
  }
  const expected = hmac(secret, `${timestamp}.`, body);
  let valid = false;
  // Every candidate is compared (no early exit), so timing tells nothing about which one matched.
  for (const candidate of candidates) {
    if (HEX_SHA256.test(candidate) && sameMac(expected, Buffer.from(candidate, 'hex'))) valid = true;
  }
  return { scheme: 'stripe', valid, ...(!valid && { reason: 'signature does not match' }) };
}

/**
 * The keys a Standard Webhooks secret stands for: `whsec_<base64>` is exactly the decoded bytes; any other secret is
 * tried as its own UTF-8 bytes and, when it is base64 (as the standard's libraries take it), as the decoded bytes.
 */
export function standardWebhookKeys(secret: string): Buffer[] {
  if (secret.startsWith('whsec_')) {
    const encoded = secret.slice('whsec_'.length);
    return BASE64.test(encoded) ? [Buffer.from(encoded, 'base64')] : [];
  }
  const keys = [Buffer.from(secret, 'utf8')];
  if (BASE64.test(secret) && secret.length % 4 === 0) keys.push(Buffer.from(secret, 'base64'));
  return keys;
}

/** Standard Webhooks: `v1,<base64>` entries separated by spaces over `${id}.${timestamp}.${body}`. */
export function verifyStandardSignature(
  id: string | undefined,
  timestamp: string | undefined,
  value: string,
  secret: string,
  body: Buffer,
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): SignatureCheck {
  const candidates = value
    .split(/\s+/)
    .map((entry) => /^v1,(.+)$/.exec(entry.trim())?.[1])
    .filter((entry): entry is string => entry !== undefined);
  if (!id || !timestamp || !DIGITS.test(timestamp.trim()) || candidates.length === 0) {
    return {
      scheme: 'standard',
      valid: false,
      reason: 'malformed webhook-id, webhook-timestamp or webhook-signature header',
    };
  }
  const ts = timestamp.trim();
  if (!isFresh(ts, nowSeconds, toleranceSeconds)) {
    return { scheme: 'standard', valid: false, reason: 'timestamp outside the tolerance' };
  }
  let valid = false;
  for (const key of standardWebhookKeys(secret)) {
    const expected = hmac(key, `${id.trim()}.${ts}.`, body);
    for (const candidate of candidates) {
      if (BASE64_SHA256.test(candidate) && sameMac(expected, Buffer.from(candidate, 'base64'))) valid = true;
    }
  }
  return { scheme: 'standard', valid, ...(!valid && { reason: 'signature does not match' }) };
}

/**
 * Verifies whatever signature the request carries. Unsigned → `{scheme: null, valid: null}`. When several forms are
 * present, each must verify (a forged header next to a good one still fails).
 */
export function checkSignature(
  headers: HeaderMap,
  secret: string,
  body: Buffer,
  nowSeconds = Math.floor(Date.now() / 1000),
): SignatureCheck {
  const checks: SignatureCheck[] = [];
  const github = header(headers, 'x-hub-signature-256');
  if (github !== undefined) checks.push(verifyGithubSignature(github, secret, body));
  const stripe = header(headers, 'stripe-signature');
  if (stripe !== undefined) checks.push(verifyStripeSignature(stripe, secret, body, nowSeconds));
  for (const prefix of ['webhook', 'svix']) {
    const signature = header(headers, `${prefix}-signature`);
    if (signature === undefined) continue;
    checks.push(
      verifyStandardSignature(
        header(headers, `${prefix}-id`),
        header(headers, `${prefix}-timestamp`),
        signature,
        secret,
        body,
        nowSeconds,
      ),
    );
  }
  if (checks.length === 0) return { scheme: null, valid: null };
  return checks.find((check) => !check.valid) ?? (checks[0] as SignatureCheck);
}
