import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionsConfig } from '../config.ts';

const require = createRequire(import.meta.url);

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The harness each function's Deno process runs (plain JavaScript, no TypeScript to compile): next to the sources
 * (src/sandbox/), or to the bundle (dist/) in the image.
 */
export const HARNESS_PATH =
  [join(here, '../../harness/harness.js'), join(here, '../harness/harness.js')].find((path) =>
    existsSync(path),
  ) ?? join(here, '../../harness/harness.js');

/**
 * The Deno binary shipped by the npm package `deno` (its platform package, installed with it): nothing is
 * downloaded at run time. FUNCTIONS_DENO_BIN overrides it.
 */
export function findDeno(explicit: string | null): string {
  if (explicit) {
    if (!existsSync(explicit))
      throw new Error(`FUNCTIONS_DENO_BIN points to ${explicit}, which does not exist`);
    return explicit;
  }
  const exe = process.platform === 'win32' ? 'deno.exe' : 'deno';
  const candidates: string[] = [];
  try {
    candidates.push(join(dirname(require.resolve('deno/package.json')), exe));
  } catch {
    // not installed: the error below says so
  }
  const platformPackage =
    process.platform === 'linux'
      ? `@deno/linux-${process.arch}-glibc`
      : `@deno/${process.platform}-${process.arch}`;
  try {
    candidates.push(join(dirname(require.resolve(`${platformPackage}/package.json`)), exe));
  } catch {
    // no platform package for this machine
  }
  const found = candidates.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      `No Deno binary: the npm package "deno" (and ${platformPackage}) is not installed; run npm install, or set FUNCTIONS_DENO_BIN`,
    );
  }
  return found;
}

export interface SandboxPaths {
  /** The function's own writable directory, also its working directory. */
  scratchDir: string;
  /** The module file (read only). */
  modulePath: string;
  /** Deno's module and code cache, owned by the runtime (never readable by functions). */
  denoDir: string;
}

/**
 * The command line of one function's process: no prompt, no config or lock file, an empty environment (set by
 * the caller), file access only to its scratch dir (and reading its module), no env, subprocesses, FFI or
 * system information, network as configured with the private ranges denied, and a V8 heap cap.
 */
export function denoArgs(
  config: Pick<FunctionsConfig, 'memoryMb' | 'allowNet' | 'denyNet' | 'allowImport'>,
  paths: SandboxPaths,
): string[] {
  const args = [
    'run',
    '--no-prompt',
    '--no-config',
    '--no-lock',
    '--no-check',
    `--allow-read=${paths.scratchDir},${paths.modulePath}`,
    `--allow-write=${paths.scratchDir}`,
    '--deny-env',
    '--deny-run',
    '--deny-ffi',
    '--deny-sys',
    `--v8-flags=--max-old-space-size=${config.memoryMb}`,
  ];
  if (config.allowNet.length === 0) {
    args.push('--deny-net');
  } else {
    args.push(config.allowNet.includes('*') ? '--allow-net' : `--allow-net=${config.allowNet.join(',')}`);
    if (config.denyNet.length > 0) args.push(`--deny-net=${config.denyNet.join(',')}`);
  }
  if (config.allowImport.length === 0) {
    args.push('--no-remote', '--no-npm', '--deny-import');
  } else {
    args.push('--no-npm', `--allow-import=${config.allowImport.join(',')}`);
  }
  args.push(HARNESS_PATH);
  return args;
}

/** The whole environment of a function's process: only what Deno itself needs. */
export function denoEnv(denoDir: string): Record<string, string> {
  return { DENO_DIR: denoDir, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_NO_PACKAGE_JSON: '1' };
}
