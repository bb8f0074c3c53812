// The one-time restore token of a fresh install. `POST /backups/restore` replaces everything, and before anyone
// has logged in there is no admin to ask: the backend makes a random token when it starts on a fresh install,
// logs it and writes it (mode 0600) where `./selfdb.sh start` prints it; a restore through the API needs it (or an
// admin's bearer token). The file is the store, so every backend process sharing it agrees on the current token;
// a successful restore deletes it. With RESTORE_TOKEN_FILE=none the token lives in this process's memory only.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

const sha256 = (text: string) => createHash('sha256').update(text).digest();

export class RestoreTokens {
  /** SHA-256 of the token when it is kept in memory (no file). */
  private memory: Buffer | null = null;

  /** `file`: where the token is kept ('' for memory only). */
  constructor(private readonly file: string) {}

  get location(): string | null {
    return this.file || null;
  }

  /** Makes a new token (replacing any earlier one) and stores it; returns it, to be logged and printed. */
  async issue(): Promise<string> {
    const token = randomBytes(24).toString('base64url');
    if (!this.file) {
      this.memory = sha256(token);
      return token;
    }
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    // Written aside and renamed over: a reader never sees half a token, and the mode is 0600 from the start.
    const temp = `${this.file}.${process.pid}.tmp`;
    await unlink(temp).catch(() => {});
    await writeFile(temp, `${token}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(temp, 0o600);
    await rename(temp, this.file);
    return token;
  }

  /** Whether `candidate` is the current token (compared in constant time). */
  async matches(candidate: string): Promise<boolean> {
    let stored: Buffer | null = this.memory;
    if (this.file) {
      const text = await readFile(this.file, 'utf8').catch(() => null);
      stored = text?.trim() ? sha256(text.trim()) : null;
    }
    return stored !== null && timingSafeEqual(stored, sha256(candidate.trim()));
  }

  /** Ends the token (used, or the install is no longer fresh). */
  async revoke(): Promise<void> {
    this.memory = null;
    if (this.file) await unlink(this.file).catch(() => {});
  }
}
