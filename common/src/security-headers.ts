/**
 * Content-Security-Policy of everything but the API docs: JSON, errors and file downloads never need to run, load,
 * frame or submit anything, and `sandbox` keeps an uploaded HTML or SVG file opened in a browser away from the
 * API's origin.
 */
export const STRICT_CSP =
  "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox";

/**
 * Headers every HTTP response that reaches a client carries (the backend's, and refused WebSocket upgrades):
 * no MIME sniffing, no framing, no referrer leaving for other sites, and the strict CSP.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': STRICT_CSP,
});
