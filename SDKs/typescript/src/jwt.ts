// Reads the expiry of an access token without verifying it: only to decide when to refresh (the server verifies).

function decodeBase64Url(text: string): string {
  const base64 = text.replaceAll('-', '+').replaceAll('_', '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** The token's `exp` in seconds since the epoch, or null when it has none or is not a JWT. */
export function accessTokenExpiry(token: string): number | null {
  try {
    const payload = JSON.parse(decodeBase64Url(token.split('.')[1] ?? '')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp : null;
  } catch {
    return null;
  }
}

/** True when the token expires within `seconds` from now (or has expired); false when its expiry is unknown. */
export function accessTokenExpiresWithin(token: string, seconds: number, now = Date.now()): boolean {
  const exp = accessTokenExpiry(token);
  return exp !== null && exp * 1000 - now <= seconds * 1000;
}
