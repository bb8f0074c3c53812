import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, createEnvReader, freeze, functionsServiceKey, readMetricsToken } from '@selfdb/common';

/**
 * Addresses a function may never reach, whatever FUNCTIONS_ALLOW_NET says: "this host" and loopback (the
 * service itself, the backend, Postgres), the private ranges (the compose network, the LAN), carrier-grade NAT,
 * link-local (cloud metadata at 169.254.169.254) and the metadata host names. Deno checks the addresses a host
 * name resolves to as well, so a name pointing at one of these is refused too. Deno 2.9 takes no IPv6 ranges:
 * the IPv6 loopback, unspecified and AWS metadata addresses are listed one by one (see docs/functions.md).
 */
export const DEFAULT_DENY_NET = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '[::1]',
  '[::]',
  '[fd00:ec2::254]',
  'localhost',
  'metadata.google.internal',
  'metadata',
];

export interface FunctionsConfig {
  /** Listen address: 127.0.0.1 natively (internal only), 0.0.0.0 inside its container. */
  host: string;
  port: number;
  /** Every request but /health carries it in X-Functions-Key (shared with the backend). */
  serviceKey: string;
  logLevel: string;
  /** METRICS_TOKEN: the Bearer token of `GET /metrics`; null (unset) turns the endpoint off (404). */
  metricsToken: string | null;
  /** Where `context.callBackend(path)` goes, with `x-api-key: apiKey`. */
  backendUrl: string;
  apiKey: string;
  /** Scratch dirs and module files (wiped on start: the service keeps no state) and Deno's module cache. */
  dataDir: string;
  /** The Deno binary: FUNCTIONS_DENO_BIN, else the one of the npm package `deno`. */
  denoBin: string | null;
  /** V8 heap cap of each function's process; its resident memory is capped at memoryMb + RSS_ALLOWANCE_MB. */
  memoryMb: number;
  /** Network: `allowNet` ['*'] = any host not denied; [] (FUNCTIONS_ALLOW_NET=none) = no network; else only these. */
  allowNet: string[];
  denyNet: string[];
  /** Remote module hosts a function may import from (Deno's --allow-import); [] = none. */
  allowImport: string[];
  limits: {
    /** Bytes a function's scratch dir may hold (FUNCTIONS_SCRATCH_MB). */
    maxScratchBytes: number;
    /** Runs one function's process takes at once; more wait for a slot (FUNCTIONS_MAX_CONCURRENT_RUNS). */
    maxConcurrentRuns: number;
    /** Warm processes kept at most (the least recently used idle ones are stopped beyond it). */
    maxProcesses: number;
    /** A function's process with no run for this long is stopped (the next run starts one); 0: never. */
    idleTimeoutMs: number;
    /** Longest wait for a module's top-level code at deploy (and at a process start). */
    loadTimeoutMs: number;
    /** Log lines kept per run (more are counted, not kept) and characters per line. */
    maxLogLines: number;
    maxLogLineChars: number;
    /** Largest response body / returned value / callBackend body, in bytes. */
    maxBodyBytes: number;
    /** Events one run may emit. */
    maxEvents: number;
    /** Largest module source accepted at deploy, in bytes. */
    maxCodeBytes: number;
  };
}

/** Resident memory a function's process may use beyond its heap cap: Deno itself (~35 MiB) and off-heap buffers. */
export const RSS_ALLOWANCE_MB = 128;

function readHostList(value: string[], name: string): string[] {
  for (const entry of value) {
    if (entry === '*') continue;
    if (!/^[A-Za-z0-9.:[\]/_-]+$/.test(entry)) {
      throw new ConfigError(`${name}: "${entry}" is not a host, host:port, IP or IPv4 range`);
    }
  }
  return value;
}

/** Reads and validates the functions runtime's configuration once; throws ConfigError naming the bad variable. */
export function loadFunctionsConfig(
  env: Record<string, string | undefined> = process.env,
): Readonly<FunctionsConfig> {
  const read = createEnvReader(env);
  const explicitKey = read.raw('FUNCTIONS_SERVICE_KEY');
  const secretKey = read.raw('SECRET_KEY');
  if (!explicitKey && !secretKey) {
    throw new ConfigError(
      'Missing environment variable SECRET_KEY (or FUNCTIONS_SERVICE_KEY): the functions runtime needs the secret it shares with the backend',
    );
  }
  if (explicitKey && explicitKey.length < 32) {
    throw new ConfigError('FUNCTIONS_SERVICE_KEY must be at least 32 characters');
  }
  const allowNetList = read.list('FUNCTIONS_ALLOW_NET', ['*']);
  const allowNet =
    allowNetList.length === 1 && allowNetList[0] === 'none'
      ? []
      : readHostList(allowNetList, 'FUNCTIONS_ALLOW_NET');
  if (allowNet.includes('*') && allowNet.length > 1) {
    throw new ConfigError(
      'FUNCTIONS_ALLOW_NET: "*" (any host not denied) cannot be combined with host names',
    );
  }
  const backendUrl = read.string('BACKEND_URL', 'http://127.0.0.1:8000');
  try {
    const url = new URL(backendUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new ConfigError(`BACKEND_URL must be an http(s) URL, got "${backendUrl}"`);
  }
  return freeze({
    host: read.string('FUNCTIONS_HOST', '127.0.0.1'),
    port: read.int('FUNCTIONS_INTERNAL_PORT', 8090, { min: 0, max: 65535 }),
    serviceKey: functionsServiceKey(secretKey ?? '', explicitKey),
    logLevel: read.string('LOG_LEVEL', 'info'),
    metricsToken: readMetricsToken(read),
    backendUrl: backendUrl.replace(/\/+$/, ''),
    apiKey: read.string('API_KEY', ''),
    dataDir: resolve(read.string('FUNCTIONS_DATA_DIR', join(tmpdir(), 'selfdb-functions'))),
    denoBin: read.raw('FUNCTIONS_DENO_BIN') ?? null,
    memoryMb: read.int('FUNCTIONS_MEMORY_MB', 128, { min: 16, max: 65536 }),
    allowNet,
    denyNet: readHostList(read.list('FUNCTIONS_DENY_NET', DEFAULT_DENY_NET), 'FUNCTIONS_DENY_NET'),
    allowImport: readHostList(read.list('FUNCTIONS_ALLOW_IMPORT', []), 'FUNCTIONS_ALLOW_IMPORT'),
    limits: {
      maxScratchBytes: read.int('FUNCTIONS_SCRATCH_MB', 100, { min: 1, max: 1_000_000 }) * 1024 * 1024,
      maxConcurrentRuns: read.int('FUNCTIONS_MAX_CONCURRENT_RUNS', 100, { min: 1, max: 100_000 }),
      maxProcesses: read.int('FUNCTIONS_MAX_PROCESSES', 64, { min: 1, max: 10_000 }),
      idleTimeoutMs: read.int('FUNCTIONS_IDLE_TIMEOUT_SECONDS', 600, { min: 0, max: 86_400 }) * 1000,
      loadTimeoutMs: read.int('FUNCTIONS_LOAD_TIMEOUT_SECONDS', 10, { min: 1, max: 300 }) * 1000,
      maxLogLines: read.int('FUNCTIONS_MAX_LOG_LINES', 1000, { min: 1, max: 100_000 }),
      maxLogLineChars: read.int('FUNCTIONS_MAX_LOG_LINE_CHARS', 8192, { min: 80, max: 1_000_000 }),
      maxBodyBytes: read.int('FUNCTIONS_MAX_RESPONSE_MB', 6, { min: 1, max: 100 }) * 1024 * 1024,
      maxEvents: 100,
      maxCodeBytes: 5 * 1024 * 1024,
    },
  });
}
