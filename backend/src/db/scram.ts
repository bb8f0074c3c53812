import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

// Postgres's own iteration count (scram_iterations' default).
const ITERATIONS = 4096;

function keys(password: string, salt: Buffer, iterations: number) {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return {
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: createHmac('sha256', salted).update('Server Key').digest(),
  };
}

/**
 * Whether the password can be hashed here exactly as Postgres would: Postgres applies SASLprep to non-ASCII
 * passwords first, which this module does not implement (such passwords are sent to the server to hash).
 */
export const canHashLocally = (password: string) => /^[\x20-\x7e]*$/.test(password);

/**
 * The SCRAM-SHA-256 verifier Postgres stores for `password` (`SCRAM-SHA-256$4096:salt$StoredKey:ServerKey`). Given
 * to `ALTER ROLE … PASSWORD`, it sets the password without the password itself appearing in any statement or log.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  const { storedKey, serverKey } = keys(password, salt, ITERATIONS);
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Whether a stored verifier (pg_authid.rolpassword: SCRAM or md5) accepts `password` for `user`. */
export function verifierAccepts(stored: string | null, user: string, password: string): boolean {
  if (!stored) return false;
  if (stored.startsWith('md5')) {
    return (
      stored ===
      `md5${createHash('md5')
        .update(password + user)
        .digest('hex')}`
    );
  }
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(stored);
  if (!match || !canHashLocally(password)) return false;
  const { storedKey, serverKey } = keys(password, Buffer.from(match[2]!, 'base64'), Number(match[1]));
  const expectedStored = Buffer.from(match[3]!, 'base64');
  const expectedServer = Buffer.from(match[4]!, 'base64');
  return (
    expectedStored.length === storedKey.length &&
    expectedServer.length === serverKey.length &&
    timingSafeEqual(expectedStored, storedKey) &&
    timingSafeEqual(expectedServer, serverKey)
  );
}
