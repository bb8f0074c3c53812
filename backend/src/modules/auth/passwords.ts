import argon2 from 'argon2';
import bcrypt from 'bcryptjs';

// OWASP's argon2id baseline (19 MiB, 2 passes): strong, and fast enough for a 2-core laptop under login load.
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const BCRYPT_PREFIX = /^\$2[aby]\$/;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

/** Verifies a password against an argon2id hash or a SelfDB 0.0.5 bcrypt hash; false for anything unknown. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    if (hash.startsWith('$argon2')) return await argon2.verify(hash, password);
    if (BCRYPT_PREFIX.test(hash)) return await bcrypt.compare(password, hash);
  } catch {
    return false;
  }
  return false;
}

/** True when a hash should be replaced by a fresh argon2id one after a successful login. */
export function needsRehash(hash: string): boolean {
  return !hash.startsWith('$argon2id$') || argon2.needsRehash(hash, ARGON2_OPTIONS);
}

let dummyHash: Promise<string> | undefined;
/** Spends the same time as a real verification, so unknown emails cannot be told apart by timing. */
export async function verifyAgainstDummy(password: string): Promise<void> {
  dummyHash ??= hashPassword('selfdb-timing-equalizer');
  await argon2.verify(await dummyHash, password).catch(() => false);
}
