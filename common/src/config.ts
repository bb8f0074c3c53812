import { readFileSync } from 'node:fs';

/** Raised when the environment is incomplete or wrong; the message names the variable and what to do. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/**
 * Reads typed values from an environment once. `NAME_FILE` (a path) is honoured for every variable, so secrets
 * can come from Docker secrets; the file's content wins over nothing but loses to an explicit `NAME`.
 */
export function createEnvReader(env: Env) {
  function raw(name: string): string | undefined {
    const direct = env[name];
    if (direct !== undefined && direct !== '') return direct;
    const file = env[`${name}_FILE`];
    if (file) {
      try {
        return readFileSync(file, 'utf8').trim();
      } catch (err) {
        throw new ConfigError(
          `${name}_FILE points to ${file}, which cannot be read: ${(err as Error).message}`,
        );
      }
    }
    return undefined;
  }

  function string(name: string, fallback?: string): string {
    const value = raw(name) ?? fallback;
    if (value === undefined) {
      throw new ConfigError(
        `Missing environment variable ${name}: set it in .env (see .env.example and docs/ENVS.md)`,
      );
    }
    return value;
  }

  function int(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const text = raw(name);
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(value)) throw new ConfigError(`${name} must be an integer, got "${text}"`);
    if (range.min !== undefined && value < range.min)
      throw new ConfigError(`${name} must be >= ${range.min}`);
    if (range.max !== undefined && value > range.max)
      throw new ConfigError(`${name} must be <= ${range.max}`);
    return value;
  }

  function bool(name: string, fallback: boolean): boolean {
    const text = raw(name);
    if (text === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(text)) return true;
    if (/^(0|false|no|off)$/i.test(text)) return false;
    throw new ConfigError(`${name} must be true or false, got "${text}"`);
  }

  function list(name: string, fallback: string[]): string[] {
    const text = raw(name);
    if (text === undefined) return fallback;
    return text
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  }

  return { raw, string, int, bool, list };
}

export type EnvReader = ReturnType<typeof createEnvReader>;

/** SECRET_KEY, the HS256 secret the services share (at least 32 characters); ALGORITHM, if set, must say HS256. */
export function readJwtSecret(read: EnvReader): string {
  const algorithm = read.string('ALGORITHM', 'HS256');
  if (algorithm !== 'HS256') throw new ConfigError(`ALGORITHM must be HS256 (got ${algorithm})`);
  const secretKey = read.string('SECRET_KEY');
  if (secretKey.length < 32) {
    throw new ConfigError(
      'SECRET_KEY must be at least 32 characters: run ./generate_keys.sh --yes to make one',
    );
  }
  return secretKey;
}

/** A postgresql:// URL with the user, password and database percent-encoded. */
export function postgresUrl(user: string, password: string, host: string, port: number, db: string): string {
  return `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(db)}`;
}

/** Deep-freezes a config object so no code can change it after start-up. */
export function freeze<T extends object>(value: T): Readonly<T> {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object' && !Object.isFrozen(child)) freeze(child as object);
  }
  return Object.freeze(value);
}

/** METRICS_TOKEN, the Bearer token of `GET /metrics` (docs/metrics.md): at least 16 characters; unset (null) turns it off. */
export function readMetricsToken(read: EnvReader): string | null {
  const token = read.raw('METRICS_TOKEN');
  if (token === undefined) return null;
  if (token.length < 16) {
    throw new ConfigError('METRICS_TOKEN must be at least 16 characters (or unset: no /metrics)');
  }
  return token;
}
