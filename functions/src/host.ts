import { randomBytes, randomUUID } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AppError,
  ErrorCode,
  type RuntimeDeployRequest,
  type RuntimeDeployResult,
  type RuntimeRunRequest,
  type RuntimeRunResult,
} from '@selfdb/common';
import { type FunctionsConfig, RSS_ALLOWANCE_MB } from './config.ts';
import { createBackendCaller } from './sandbox/backend-call.ts';
import { InvalidExports, validateExports } from './sandbox/module-exports.ts';
import { type BackendCaller, Sandbox } from './sandbox/sandbox.ts';

const WATCHDOG_INTERVAL_MS = 100;
const PAGE_SIZE = 4096;
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;
/** A process with no run that keeps a core this busy (share of the window) for this long is stopped. */
const IDLE_CPU_WINDOW_MS = 5000;
const IDLE_CPU_SHARE = 0.1;
/** How often scratch dirs are measured, and the most entries one measurement walks. */
const SCRATCH_CHECK_MS = 1000;
const SCRATCH_MAX_ENTRIES = 10_000;
/** Modules loading at once (deploys and cold starts): a restart's re-push of every function must not fork-bomb. */
const CONCURRENT_LOADS = 4;

interface Deployment {
  name: string;
  version: number;
  env: Record<string, string>;
  timeoutSeconds: number;
  modulePath: string;
  meta: RuntimeDeployResult;
  /** The warm process, or null until the next run starts one. */
  sandbox: Sandbox | null;
  /** A process being started for a run (shared by the runs that wait for it). */
  starting: Promise<Sandbox | string> | null;
  /** When the last run started (Date.now()), for the idle reaper. */
  lastUsed: number;
  /** Runs between their arrival and their hand-over to the process (which then counts them as in flight). */
  routing: number;
}

/**
 * The deployed functions of this process, each with at most one warm Deno process. Holds nothing across
 * restarts: the backend pushes each function's code (PUT) again when a run answers FUNCTION_NOT_DEPLOYED.
 */
export class FunctionHost {
  readonly bootId = randomUUID();
  private readonly config: Readonly<FunctionsConfig>;
  private readonly denoBin: string;
  private readonly bootDir: string;
  private readonly denoDir: string;
  private readonly callBackend: BackendCaller;
  private readonly deployments = new Map<string, Deployment>();
  /** Every live process (deployed, being validated, or draining after a redeploy), for the watchdog and close. */
  private readonly sandboxes = new Set<Sandbox>();
  /** Deploys and undeploys of one name run one after another. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly watchdog: NodeJS.Timeout;
  /** CPU time of each idle process when it was last seen idle (for the idle-CPU check). */
  private readonly idleCpu = new WeakMap<Sandbox, { ticks: number; at: number }>();
  private lastCpuCheck = 0;
  private lastScratchCheck = 0;
  private checkingScratch = false;
  /** Scratch dirs being emptied: a process for them starts only once that is done. */
  private readonly wiping = new Map<string, Promise<void>>();
  private loadsRunning = 0;
  private readonly loadQueue: (() => void)[] = [];
  private closed = false;

  private constructor(config: Readonly<FunctionsConfig>, denoBin: string) {
    this.config = config;
    this.denoBin = denoBin;
    this.bootDir = join(config.dataDir, `boot-${this.bootId}`);
    this.denoDir = join(config.dataDir, 'deno-dir');
    this.callBackend = createBackendCaller(config);
    this.watchdog = setInterval(() => void this.checkMemory(), WATCHDOG_INTERVAL_MS);
    this.watchdog.unref();
  }

  /** Prepares the data directory (removing what earlier, now dead, runtimes left) and returns the host. */
  static async open(config: Readonly<FunctionsConfig>, denoBin: string): Promise<FunctionHost> {
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    for (const entry of await readdir(config.dataDir).catch(() => [] as string[])) {
      if (!/^boot-[0-9a-f-]{36}$/.test(entry)) continue;
      const dir = join(config.dataDir, entry);
      const pid = Number(await readFile(join(dir, 'pid'), 'utf8').catch(() => ''));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) continue;
      await rm(dir, { recursive: true, force: true });
    }
    const host = new FunctionHost(config, denoBin);
    await mkdir(join(host.bootDir, 'code'), { recursive: true, mode: 0o700 });
    await mkdir(join(host.bootDir, 'scratch'), { recursive: true, mode: 0o700 });
    await mkdir(host.denoDir, { recursive: true, mode: 0o700 });
    await writeFile(join(host.bootDir, 'pid'), String(process.pid));
    return host;
  }

  get count(): number {
    return this.deployments.size;
  }

  /** Loads `request.code` in a fresh sandbox; on success it replaces the deployed version, else nothing changes. */
  deploy(name: string, request: RuntimeDeployRequest): Promise<RuntimeDeployResult> {
    return this.serialized(name, () => this.deployNow(name, request));
  }

  undeploy(name: string): Promise<void> {
    return this.serialized(name, () => this.undeployNow(name));
  }

  async run(name: string, request: RuntimeRunRequest): Promise<RuntimeRunResult> {
    const started = Date.now();
    if (this.closed) {
      throw new AppError(503, ErrorCode.FUNCTIONS_UNAVAILABLE, 'The functions runtime is shutting down');
    }
    const deployment = this.deployments.get(name);
    if (!deployment) {
      throw new AppError(
        404,
        ErrorCode.FUNCTION_NOT_DEPLOYED,
        `Function '${name}' is not deployed on the runtime`,
      );
    }
    if (deployment.version !== request.version) {
      throw new AppError(
        409,
        ErrorCode.FUNCTION_VERSION_MISMATCH,
        `Function '${name}' runs version ${deployment.version} on the runtime, not ${request.version}`,
      );
    }
    deployment.lastUsed = started;
    deployment.routing++;
    let sandbox: Sandbox | string;
    try {
      sandbox = await this.warmSandbox(deployment, started);
    } finally {
      deployment.routing--;
    }
    if (typeof sandbox === 'string') {
      return {
        status: sandbox.startsWith('timed out') ? 'timeout' : 'failed',
        durationMs: Date.now() - started,
        response: null,
        result: null,
        error: sandbox,
        logs: [],
        events: [],
      };
    }
    return sandbox.run(request, deployment.timeoutSeconds, started);
  }

  /** Stops every process and removes this boot's files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watchdog);
    await Promise.all([...this.sandboxes].map((s) => s.stop('the functions runtime is shutting down')));
    await rm(this.bootDir, { recursive: true, force: true });
  }

  private serialized<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(name) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(work);
    const tail = next.catch(() => {});
    this.queues.set(name, tail);
    void tail.then(() => {
      if (this.queues.get(name) === tail) this.queues.delete(name);
    });
    return next;
  }

  private scratchDir(name: string): string {
    return join(this.bootDir, 'scratch', name);
  }

  private startSandbox(name: string, modulePath: string, env: Record<string, string>): Sandbox {
    const sandbox = new Sandbox({
      denoBin: this.denoBin,
      config: this.config,
      paths: { scratchDir: this.scratchDir(name), modulePath, denoDir: this.denoDir },
      env,
      callBackend: this.callBackend,
    });
    this.sandboxes.add(sandbox);
    void sandbox.waitForExit().then(() => this.sandboxes.delete(sandbox));
    return sandbox;
  }

  private async deployNow(name: string, request: RuntimeDeployRequest): Promise<RuntimeDeployResult> {
    if (this.closed)
      throw new AppError(503, ErrorCode.FUNCTIONS_UNAVAILABLE, 'The functions runtime is shutting down');
    const codeDir = join(this.bootDir, 'code', name);
    await this.wiping.get(this.scratchDir(name));
    await mkdir(codeDir, { recursive: true, mode: 0o700 });
    await mkdir(this.scratchDir(name), { recursive: true, mode: 0o700 });
    const modulePath = join(codeDir, `v${request.version}-${randomBytes(6).toString('hex')}.ts`);
    await writeFile(modulePath, request.code, { mode: 0o600 });

    const { sandbox, loaded } = await this.withLoadSlot(async () => {
      const started = this.startSandbox(name, modulePath, request.env);
      return { sandbox: started, loaded: await started.load(this.config.limits.loadTimeoutMs) };
    });
    let meta: RuntimeDeployResult;
    try {
      if (!loaded.ok) throw new InvalidExports(loaded.error);
      meta = { name, version: request.version, ...validateExports(loaded.exports) };
    } catch (err) {
      await sandbox.stop('deploy failed');
      await rm(modulePath, { force: true });
      if (err instanceof InvalidExports) {
        throw new AppError(
          422,
          ErrorCode.FUNCTION_INVALID,
          `Invalid function code: ${withLine(err.message)}`,
        );
      }
      throw err;
    }

    const previous = this.deployments.get(name);
    this.deployments.set(name, {
      name,
      version: request.version,
      env: { ...request.env },
      timeoutSeconds: request.timeoutSeconds,
      modulePath,
      meta,
      sandbox,
      starting: null,
      lastUsed: Date.now(),
      routing: 0,
    });
    if (previous) this.retire(previous);
    this.enforceProcessCap(sandbox);
    return meta;
  }

  /** Runs `work` (a process start and module load) when fewer than CONCURRENT_LOADS others are running. */
  private async withLoadSlot<T>(work: () => Promise<T>): Promise<T> {
    if (this.loadsRunning >= CONCURRENT_LOADS) {
      await new Promise<void>((resolve) => this.loadQueue.push(resolve));
    } else {
      this.loadsRunning++;
    }
    try {
      return await work();
    } finally {
      const next = this.loadQueue.shift();
      if (next) next();
      else this.loadsRunning--;
    }
  }

  /**
   * Over FUNCTIONS_MAX_PROCESSES warm processes, the least recently used idle ones are stopped (never `fresh`, the
   * one just started, nor one a run is on its way to).
   */
  private enforceProcessCap(fresh: Sandbox): void {
    const warm = [...this.deployments.values()].filter((d) => d.sandbox?.alive);
    let excess = warm.length - this.config.limits.maxProcesses;
    if (excess <= 0) return;
    for (const deployment of warm.sort((a, b) => a.lastUsed - b.lastUsed)) {
      if (excess <= 0) break;
      const sandbox = deployment.sandbox;
      if (!sandbox || sandbox === fresh || sandbox.inFlight > 0 || deployment.routing > 0) continue;
      deployment.sandbox = null;
      void sandbox.stop('too many warm processes: the least recently used was stopped');
      excess--;
    }
  }

  /** A replaced version's process finishes the runs it has (at most its timeout), then goes with its file. */
  private retire(deployment: Deployment): void {
    const sandbox = deployment.sandbox;
    deployment.sandbox = null;
    const removeFile = () => void rm(deployment.modulePath, { force: true });
    if (!sandbox) {
      if (deployment.starting) void deployment.starting.then(() => removeFile());
      else removeFile();
      return;
    }
    const deadline = Date.now() + deployment.timeoutSeconds * 1000;
    const poll = setInterval(() => {
      if (sandbox.inFlight === 0 || Date.now() > deadline || !sandbox.alive) {
        clearInterval(poll);
        void sandbox.stop('the function was redeployed').then(removeFile);
      }
    }, 50);
  }

  private async undeployNow(name: string): Promise<void> {
    const deployment = this.deployments.get(name);
    this.deployments.delete(name);
    if (deployment) {
      const sandbox = deployment.sandbox ?? (deployment.starting ? await deployment.starting : null);
      if (sandbox && typeof sandbox !== 'string') await sandbox.stop('the function was undeployed');
      deployment.sandbox = null;
    }
    // Also a replaced version still finishing its runs: nothing of the function may outlive its scratch dir.
    const scratch = this.scratchDir(name);
    await Promise.all(
      [...this.sandboxes]
        .filter((sandbox) => sandbox.scratchDir === scratch)
        .map((sandbox) => sandbox.stop('the function was undeployed')),
    );
    await rm(scratch, { recursive: true, force: true });
    await rm(join(this.bootDir, 'code', name), { recursive: true, force: true });
  }

  /** The function's warm process, starting one (and loading the module) when there is none. */
  private async warmSandbox(deployment: Deployment, started: number): Promise<Sandbox | string> {
    if (deployment.sandbox?.alive) return deployment.sandbox;
    deployment.sandbox = null;
    if (!deployment.starting) {
      deployment.starting = (async () => {
        await this.wiping.get(this.scratchDir(deployment.name));
        await mkdir(this.scratchDir(deployment.name), { recursive: true, mode: 0o700 });
        const limit = Math.max(this.config.limits.loadTimeoutMs, deployment.timeoutSeconds * 1000);
        const { sandbox, loaded } = await this.withLoadSlot(async () => {
          const started = this.startSandbox(deployment.name, deployment.modulePath, deployment.env);
          return { sandbox: started, loaded: await started.load(limit) };
        });
        if (!loaded.ok) {
          await sandbox.stop('the module failed to load');
          return `The module failed to load: ${loaded.error}`;
        }
        if (this.deployments.get(deployment.name) !== deployment) {
          await sandbox.stop('the function was redeployed');
          return 'The function was redeployed or undeployed while starting';
        }
        deployment.sandbox = sandbox;
        this.enforceProcessCap(sandbox);
        return sandbox;
      })().finally(() => {
        deployment.starting = null;
      });
    }
    const timeoutMs = deployment.timeoutSeconds * 1000 - (Date.now() - started);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<string>((resolve) => {
      timer = setTimeout(
        () => resolve(`timed out after ${deployment.timeoutSeconds}s`),
        Math.max(1, timeoutMs),
      );
    });
    try {
      return await Promise.race([deployment.starting, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops warm processes that ran nothing for FUNCTIONS_IDLE_TIMEOUT_SECONDS (the next run starts one). */
  private stopIdle(): void {
    const idleMs = this.config.limits.idleTimeoutMs;
    if (idleMs === 0) return;
    const now = Date.now();
    for (const deployment of this.deployments.values()) {
      const sandbox = deployment.sandbox;
      if (sandbox && sandbox.inFlight === 0 && now - deployment.lastUsed > idleMs) {
        deployment.sandbox = null;
        void sandbox.stop('the process was idle');
      }
    }
  }

  /**
   * A process whose runs all answered should sleep: one that keeps a core busy anyway (a timer or worker left
   * spinning) would slow every other function and take the blame at its next run's timeout, so it is stopped now.
   */
  private async checkIdleCpu(): Promise<void> {
    const now = Date.now();
    for (const sandbox of this.sandboxes) {
      const pid = sandbox.pid;
      if (!pid || !sandbox.alive || sandbox.inFlight > 0 || sandbox.loading) {
        this.idleCpu.delete(sandbox);
        continue;
      }
      const ticks = await cpuTicks(pid);
      if (ticks === null) continue;
      const since = this.idleCpu.get(sandbox);
      if (!since || sandbox.inFlight > 0) {
        this.idleCpu.set(sandbox, { ticks, at: now });
        continue;
      }
      if (now - since.at < IDLE_CPU_WINDOW_MS) continue;
      const busyMs = ((ticks - since.ticks) / CLOCK_TICKS) * 1000;
      if (busyMs > (now - since.at) * IDLE_CPU_SHARE) {
        this.idleCpu.delete(sandbox);
        for (const deployment of this.deployments.values()) {
          if (deployment.sandbox === sandbox) deployment.sandbox = null;
        }
        void sandbox.stop('the function kept the CPU busy after its runs ended');
      } else {
        this.idleCpu.set(sandbox, { ticks, at: now });
      }
    }
  }

  /**
   * Disk: a function whose scratch dir grew past FUNCTIONS_SCRATCH_MB (or SCRATCH_MAX_ENTRIES files) has its
   * processes killed (their runs fail with the reason) and its scratch dir emptied, so no function fills the disk.
   */
  private async checkScratch(): Promise<void> {
    const limit = this.config.limits.maxScratchBytes;
    const byDir = new Map<string, Sandbox[]>();
    for (const sandbox of this.sandboxes) {
      if (!sandbox.alive) continue;
      byDir.set(sandbox.scratchDir, [...(byDir.get(sandbox.scratchDir) ?? []), sandbox]);
    }
    for (const [dir, sandboxes] of byDir) {
      const usage = await directoryUsage(dir, SCRATCH_MAX_ENTRIES);
      if (usage.bytes <= limit && usage.entries <= SCRATCH_MAX_ENTRIES) continue;
      const message =
        usage.entries > SCRATCH_MAX_ENTRIES
          ? `scratch dir limit exceeded (more than ${SCRATCH_MAX_ENTRIES} files)`
          : `scratch dir limit exceeded (${Math.round(limit / 1024 / 1024)} MB)`;
      for (const sandbox of sandboxes) sandbox.killWith(message);
      for (const deployment of this.deployments.values()) {
        if (deployment.sandbox && sandboxes.includes(deployment.sandbox)) deployment.sandbox = null;
      }
      const wipe = (async () => {
        await Promise.all(sandboxes.map((sandbox) => sandbox.waitForExit()));
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir, { recursive: true, mode: 0o700 });
      })();
      this.wiping.set(dir, wipe);
      await wipe.finally(() => this.wiping.delete(dir));
    }
  }

  /** Kills any process whose resident memory passed its cap (off-heap buffers escape V8's heap limit). */
  private async checkMemory(): Promise<void> {
    this.stopIdle();
    if (Date.now() - this.lastCpuCheck >= 1000) {
      this.lastCpuCheck = Date.now();
      void this.checkIdleCpu();
    }
    if (Date.now() - this.lastScratchCheck >= SCRATCH_CHECK_MS && !this.checkingScratch) {
      this.lastScratchCheck = Date.now();
      this.checkingScratch = true;
      void this.checkScratch().finally(() => (this.checkingScratch = false));
    }
    const capBytes = (this.config.memoryMb + RSS_ALLOWANCE_MB) * 1024 * 1024;
    for (const sandbox of this.sandboxes) {
      const pid = sandbox.pid;
      if (!pid || !sandbox.alive) continue;
      const statm = await readFile(`/proc/${pid}/statm`, 'utf8').catch(() => null);
      if (!statm) continue;
      const resident = Number(statm.split(' ')[1]) * PAGE_SIZE;
      if (resident > capBytes) sandbox.killForMemory();
    }
  }
}

/** Bytes (allocated blocks) and entries under `dir`, walking at most `maxEntries` entries. */
async function directoryUsage(dir: string, maxEntries: number): Promise<{ bytes: number; entries: number }> {
  let bytes = 0;
  let entries = 0;
  const pending = [dir];
  while (pending.length > 0 && entries <= maxEntries) {
    const current = pending.pop()!;
    const names = await readdir(current, { withFileTypes: true }).catch(() => []);
    for (const entry of names) {
      entries++;
      if (entries > maxEntries) break;
      const path = join(current, entry.name);
      if (entry.isDirectory()) pending.push(path);
      const info = await lstat(path).catch(() => null);
      if (info) bytes += Math.max(info.size, info.blocks * 512);
    }
  }
  return { bytes, entries };
}

/** User + system CPU time of a process, in clock ticks (null when it is gone or this is not Linux). */
async function cpuTicks(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (!stat) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks : null;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deno reports a syntax error as "SyntaxError: … <code frame> at function.ts:L:C": one line naming the line and
 * column (and the offending source line) reads better in an API error.
 */
function withLine(message: string): string {
  const text = message.replace(/^TypeError: (?=\w*Error: )/, '');
  const match = /function\.ts:(\d+):(\d+)/.exec(text);
  if (!match) return text;
  const first = text.split('\n')[0]!.trim();
  const source = new RegExp(`^\\s*${match[1]} \\| (.*)$`, 'm').exec(text)?.[1]?.trim();
  return `${first} at line ${match[1]}, column ${match[2]}${source ? ` (${JSON.stringify(source.slice(0, 200))})` : ''}`;
}
