// What backups and restores tell clients about a failure: one line (never the tools' whole output, which may quote
// the SQL being run or the files it read), with every secret this server knows replaced: its keys, the database
// passwords, passwords written in URLs, and the values of the archive's .env.

const REDACTED = '[redacted]';
/** Longest detail a client gets. */
const MAX_DETAIL = 600;
/** Values of these .env keys are secrets whatever their length. */
const SECRET_KEY_NAME = /(PASS|SECRET|TOKEN|KEY|CREDENTIAL|PRIVATE|AUTH)/i;
/** Other .env values are redacted from this length on (shorter ones, like `true`, `5432` or `postgres`, name things). */
const MIN_PLAIN_VALUE = 12;
// user:password@ in any URL, and PASSWORD=value / password=value / "password": "value" pairs.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)[^\s@/]+@/gi;
const KEY_VALUE = /\b([A-Za-z0-9_]*(?:password|passwd|secret|token|api_?key)[A-Za-z0-9_]*)(["']?\s*[=:]\s*["']?)([^\s"',;]+)/gi;

/** Replaces known secrets in messages. `fork()` makes one for an operation that adds its own (an archive's .env). */
export class Redactor {
  private readonly values = new Set<string>();

  constructor(values: Iterable<string | null | undefined> = []) {
    for (const value of values) this.add(value);
  }

  add(value: string | null | undefined): void {
    const trimmed = value?.trim();
    if (trimmed && trimmed.length >= 4) this.values.add(trimmed);
  }

  /** The password of a connection URL (and its URL-decoded form). */
  addUrl(url: string): void {
    try {
      const parsed = new URL(url);
      this.add(parsed.password);
      this.add(decodeURIComponent(parsed.password));
    } catch {
      // Not a URL: nothing to add.
    }
  }

  /** The values of an env file's `KEY=value` lines. */
  addEnv(text: string | null): void {
    for (const line of (text ?? '').split(/\r?\n/)) {
      const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
      if (!match) continue;
      const value = (match[2] as string).trim().replace(/^(['"])(.*)\1$/, '$2');
      if (SECRET_KEY_NAME.test(match[1] as string) || value.length >= MIN_PLAIN_VALUE) this.add(value);
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) this.addUrl(value);
    }
  }

  fork(): Redactor {
    return new Redactor(this.values);
  }

  /** `text` with every known secret, URL password and `password=...` value replaced. */
  clean(text: string): string {
    let out = text;
    // Longest first, so that a secret containing another is replaced whole.
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) {
      out = out.split(value).join(REDACTED);
    }
    return out
      .replace(URL_PASSWORD, `$1${REDACTED}@`)
      .replace(KEY_VALUE, (_all, key: string, sep: string, value: string) =>
        value === REDACTED ? `${key}${sep}${value}` : `${key}${sep}${REDACTED}`,
      );
  }

  /** What a client may see of `message`: its first line, redacted, at most MAX_DETAIL characters. */
  detail(message: string): string {
    const first =
      message
        .split(/\r?\n/)
        .map((line) => line.trim())
        .find(Boolean) ?? 'unknown error';
    const clean = this.clean(first);
    return clean.length > MAX_DETAIL ? `${clean.slice(0, MAX_DETAIL)}…` : clean;
  }
}
