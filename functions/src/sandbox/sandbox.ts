import { type ChildProcess, spawn } from 'node:child_process';
import type { RuntimeLogLine, RuntimeRunRequest, RuntimeRunResult } from '@selfdb/common';
import type { FunctionsConfig } from '../config.ts';
import { denoArgs, denoEnv, type SandboxPaths } from './deno.ts';

/** Prefix of every message line the harness writes; any other output of the process is ignored. */
const MARK = '\u001eSDB';
const STDERR_TAIL_BYTES = 16 * 1024;
const LOG_LEVELS = new Set(['debug', 'info', 'warn', 'error']);

/** What the harness reports once the module has loaded (raw exports, validated by module-exports.ts). */
export interface RawExports {
  hasDefault: boolean;
  defaultType: string;
  triggers?: unknown;
  description?: unknown;
  runOnce?: unknown;
}

export type LoadOutcome = { ok: true; exports: RawExports } | { ok: false; error: string };

/** A backend call a function asked for (context.callBackend), performed by the service, never by the sandbox. */
export interface BackendCall {
  path: string;
  method: string;
  headers: Record<string, string>;
  bodyBase64: string | null;
}
export type BackendAnswer =
  { status: number; headers: Record<string, string>; bodyBase64: string | null } | { error: string };
export type BackendCaller = (
  call: BackendCall,
  run: { executionId: string; deliveryId: string | null },
  signal: AbortSignal,
) => Promise<BackendAnswer>;

/** Why a process went away, as the runs that were in it record it. */
type KillReason =
  | { kind: 'timeout'; runId: number; seconds: number }
  | { kind: 'memory' }
  | { kind: 'output' }
  | { kind: 'stopped'; message: string };

interface PendingRun {
  id: number;
  request: RuntimeRunRequest;
  started: number;
  logs: RuntimeLogLine[];
  droppedLogs: number;
  timer: NodeJS.Timeout;
  /** Aborts the run's backend calls when it ends; made on its first call (most runs make none). */
  backendCalls: AbortController | null;
  resolve: (result: RuntimeRunResult) => void;
}

export interface SandboxOptions {
  denoBin: string;
  config: Pick<FunctionsConfig, 'memoryMb' | 'allowNet' | 'denyNet' | 'allowImport' | 'limits'>;
  paths: SandboxPaths;
  env: Record<string, string>;
  callBackend: BackendCaller;
}

/**
 * One function's Deno process. It is started, loads the module (`load()`), then takes runs concurrently until it
 * is killed: by a run's timeout, by the memory watchdog, for writing too much, by `stop()`, or by dying on its own.
 * Whatever the cause, each run still in it answers once, with the reason.
 */
export class Sandbox {
  readonly child: ChildProcess;
  private readonly options: SandboxOptions;
  private readonly runs = new Map<number, PendingRun>();
  private readonly waiting: PendingRun[] = [];
  private nextRunId = 1;
  private stdoutBuffer = '';
  private readonly outgoing: string[] = [];
  private stderrTail = '';
  private killReason: KillReason | null = null;
  private loadResolve: ((outcome: LoadOutcome) => void) | null = null;
  private readonly loadPromise: Promise<LoadOutcome>;
  private exited = false;
  private readonly exitPromise: Promise<void>;
  /** Largest message line accepted from the harness: a result carries a body of maxBodyBytes in base64. */
  private readonly maxLine: number;

  constructor(options: SandboxOptions) {
    this.options = options;
    this.maxLine = Math.ceil((options.config.limits.maxBodyBytes * 4) / 3) + 1024 * 1024;
    this.loadPromise = new Promise((resolve) => (this.loadResolve = resolve));
    this.child = spawn(options.denoBin, denoArgs(options.config, options.paths), {
      cwd: options.paths.scratchDir,
      env: denoEnv(options.paths.denoDir),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exitPromise = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.onExit(code, signal);
        resolve();
      });
      this.child.once('error', (err) => {
        this.stderrTail += `\n${err.message}`;
        if (this.child.pid === undefined) {
          this.onExit(null, null);
          resolve();
        }
      });
    });
    this.child.stdin?.on('error', () => {}); // EPIPE after the process died: its exit handler answers the runs
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => this.onStdout(chunk));
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    });
    this.write({
      t: 'init',
      module: `file://${options.paths.modulePath}`,
      env: options.env,
      limits: {
        maxLogLines: options.config.limits.maxLogLines,
        maxLogLineChars: options.config.limits.maxLogLineChars,
        maxBodyBytes: options.config.limits.maxBodyBytes,
        maxEvents: options.config.limits.maxEvents,
      },
    });
  }

  get scratchDir(): string {
    return this.options.paths.scratchDir;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited && this.killReason === null;
  }

  /** Runs in the process, and runs waiting for a slot in it. */
  get inFlight(): number {
    return this.runs.size + this.waiting.length;
  }

  /** True until the module has loaded (or failed to). */
  get loading(): boolean {
    return this.loadResolve !== null;
  }

  /** Waits for the module to load (top-level code included), at most `timeoutMs`; a timeout kills the process. */
  async load(timeoutMs: number): Promise<LoadOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<LoadOutcome>((resolve) => {
      timer = setTimeout(() => {
        this.kill({ kind: 'stopped', message: 'the module did not finish loading in time' });
        resolve({
          ok: false,
          error: `The module's top-level code did not finish within ${Math.round(timeoutMs / 1000)}s`,
        });
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.loadPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs the function once; never rejects: every failure is a result with status 'failed' or 'timeout'. */
  run(request: RuntimeRunRequest, timeoutSeconds: number, started = Date.now()): Promise<RuntimeRunResult> {
    return new Promise((resolve) => {
      const id = this.nextRunId++;
      const remaining = Math.max(1, timeoutSeconds * 1000 - (Date.now() - started));
      const pending: PendingRun = {
        id,
        request,
        started,
        logs: [],
        droppedLogs: 0,
        backendCalls: null,
        timer: setTimeout(() => this.onRunTimeout(pending, timeoutSeconds), remaining),
        resolve,
      };
      if (!this.alive) {
        clearTimeout(pending.timer);
        resolve(failure(pending, this.failureMessage(pending)));
        return;
      }
      // Past FUNCTIONS_MAX_CONCURRENT_RUNS runs in the process, a run waits (its timeout running) for one to end.
      if (this.runs.size >= this.options.config.limits.maxConcurrentRuns) this.waiting.push(pending);
      else this.dispatch(pending);
    });
  }

  private dispatch(run: PendingRun): void {
    this.runs.set(run.id, run);
    const request = run.request;
    this.write({
      t: 'run',
      id: run.id,
      request: request.request ?? null,
      payload: request.payload === undefined ? null : request.payload,
      ctx: {
        executionId: request.executionId,
        triggerType: request.triggerType,
        user: request.user ?? null,
        deliveryId: request.deliveryId ?? null,
      },
    });
  }

  /** A run's time is up: one still waiting just times out; one in the process takes the process with it. */
  private onRunTimeout(run: PendingRun, seconds: number): void {
    const index = this.waiting.indexOf(run);
    if (index >= 0) {
      this.waiting.splice(index, 1);
      run.resolve(failure(run, `timed out after ${seconds}s`));
      return;
    }
    this.kill({ kind: 'timeout', runId: run.id, seconds });
  }

  /** Kills the process (runs still in it fail with `message`) and waits for it to be gone. */
  async stop(message: string): Promise<void> {
    this.kill({ kind: 'stopped', message });
    await this.exitPromise;
  }

  /** Kills the process for using more memory than allowed (the watchdog's call). */
  killForMemory(): void {
    this.kill({ kind: 'memory' });
  }

  /** Kills the process, its runs failing with `message` (the watchdogs' other calls). */
  killWith(message: string): void {
    this.kill({ kind: 'stopped', message });
  }

  waitForExit(): Promise<void> {
    return this.exitPromise;
  }

  private kill(reason: KillReason): void {
    if (this.exited) return;
    if (this.killReason === null) this.killReason = reason;
    this.child.kill('SIGKILL');
  }

  /** Queues one message line; the lines of one event-loop turn go out in one write (one system call). */
  private write(message: unknown): void {
    if (this.exited || !this.child.stdin?.writable) return;
    this.outgoing.push(`${JSON.stringify(message)}\n`);
    if (this.outgoing.length === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const lines = this.outgoing.join('');
    this.outgoing.length = 0;
    if (!this.exited && this.child.stdin?.writable) this.child.stdin.write(lines);
  }

  private onStdout(chunk: string): void {
    this.stdoutBuffer += chunk;
    let newline: number;
    while ((newline = this.stdoutBuffer.indexOf('\n')) >= 0) {
      const line = this.stdoutBuffer.slice(0, newline);
      this.stdoutBuffer = this.stdoutBuffer.slice(newline + 1);
      if (line.startsWith(MARK)) this.onMessage(line.slice(MARK.length));
    }
    if (this.stdoutBuffer.length > this.maxLine) {
      this.stdoutBuffer = '';
      this.kill({ kind: 'output' });
    }
  }

  private onMessage(text: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (!message || typeof message !== 'object') return;
    switch (message.t) {
      case 'loaded':
        this.onLoaded(message);
        break;
      case 'log':
        this.onLog(message);
        break;
      case 'backend':
        this.onBackendCall(message);
        break;
      case 'result':
        this.onResult(message);
        break;
    }
  }

  private onLoaded(message: Record<string, unknown>): void {
    const resolve = this.loadResolve;
    if (!resolve) return;
    this.loadResolve = null;
    if (message.ok === true && message.exports && typeof message.exports === 'object') {
      resolve({ ok: true, exports: message.exports as RawExports });
    } else {
      resolve({
        ok: false,
        error: typeof message.error === 'string' ? message.error : 'The module failed to load',
      });
    }
  }

  private onLog(message: Record<string, unknown>): void {
    const run = this.runs.get(Number(message.run));
    if (!run) return;
    const limits = this.options.config.limits;
    if (run.logs.length >= limits.maxLogLines + 1) {
      run.droppedLogs++;
      return;
    }
    let text = typeof message.message === 'string' ? message.message : String(message.message);
    if (text.length > limits.maxLogLineChars + 64)
      text = `${text.slice(0, limits.maxLogLineChars)}… [truncated]`;
    const level = LOG_LEVELS.has(message.level as string)
      ? (message.level as RuntimeLogLine['level'])
      : 'info';
    const timestamp =
      typeof message.timestamp === 'string' && !Number.isNaN(Date.parse(message.timestamp))
        ? message.timestamp
        : new Date().toISOString();
    run.logs.push({ level, message: text, timestamp });
  }

  private onBackendCall(message: Record<string, unknown>): void {
    const run = this.runs.get(Number(message.run));
    const call = Number(message.call);
    if (!Number.isSafeInteger(call)) return;
    if (!run) {
      this.write({ t: 'backend-reply', call, error: 'the run is over' });
      return;
    }
    const headers: Record<string, string> = {};
    if (message.headers && typeof message.headers === 'object') {
      for (const [key, value] of Object.entries(message.headers as Record<string, unknown>)) {
        if (typeof value === 'string') headers[key] = value;
      }
    }
    const request: BackendCall = {
      path: typeof message.path === 'string' ? message.path : '',
      method: typeof message.method === 'string' ? message.method : 'GET',
      headers,
      bodyBase64: typeof message.bodyBase64 === 'string' ? message.bodyBase64 : null,
    };
    run.backendCalls ??= new AbortController();
    this.options
      .callBackend(
        request,
        { executionId: run.request.executionId, deliveryId: run.request.deliveryId ?? null },
        run.backendCalls.signal,
      )
      .catch((err: unknown) => ({ error: (err as Error).message ?? 'backend call failed' }))
      .then((answer) => this.write({ t: 'backend-reply', call, ...answer }));
  }

  private onResult(message: Record<string, unknown>): void {
    const run = this.runs.get(Number(message.id));
    if (!run) return;
    this.finish(run);
    const events = Array.isArray(message.events)
      ? (message.events as { event: unknown; data: unknown }[])
          .filter((e) => e && typeof e.event === 'string')
          .slice(0, this.options.config.limits.maxEvents)
          .map((e) => ({ event: e.event as string, data: e.data ?? null }))
      : [];
    if (message.ok === true) {
      const response = message.response as RuntimeRunResult['response'];
      run.resolve({
        status: 'completed',
        durationMs: Date.now() - run.started,
        response,
        result: message.result ?? null,
        error: null,
        logs: this.logsOf(run),
        events,
      });
    } else {
      run.resolve({
        ...failure(run, typeof message.error === 'string' ? message.error : 'The function failed'),
        logs: this.logsOf(run),
        events,
      });
    }
  }

  private finish(run: PendingRun): void {
    clearTimeout(run.timer);
    run.backendCalls?.abort();
    this.runs.delete(run.id);
    const next = this.alive ? this.waiting.shift() : undefined;
    if (next) this.dispatch(next);
  }

  private logsOf(run: PendingRun): RuntimeLogLine[] {
    if (run.droppedLogs === 0) return run.logs;
    return [
      ...run.logs,
      {
        level: 'warn',
        message: `${run.droppedLogs} more log lines dropped (limit ${this.options.config.limits.maxLogLines} per run)`,
        timestamp: new Date().toISOString(),
      },
    ];
  }

  /** Why `run` did not finish, from how the process ended. */
  private failureMessage(run: PendingRun): string {
    const reason = this.killReason;
    if (reason?.kind === 'timeout') {
      return reason.runId === run.id
        ? `timed out after ${reason.seconds}s`
        : `runtime process restarted: another run of this function timed out after ${reason.seconds}s`;
    }
    if (reason?.kind === 'memory' || /out of memory|heap limit|allocation failed/i.test(this.stderrTail)) {
      return `memory limit exceeded (${this.options.config.memoryMb} MB)`;
    }
    if (reason?.kind === 'output') return 'the function wrote more output than allowed';
    if (reason?.kind === 'stopped') return reason.message;
    return 'runtime process exited';
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exited = true;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (this.loadResolve) {
      const resolve = this.loadResolve;
      this.loadResolve = null;
      const memory = /out of memory|heap limit|allocation failed/i.test(this.stderrTail);
      resolve({
        ok: false,
        error:
          this.killReason?.kind === 'memory' || memory
            ? `memory limit exceeded (${this.options.config.memoryMb} MB) while loading the module`
            : this.killReason?.kind === 'stopped'
              ? this.killReason.message
              : `runtime process exited (${how}) while loading the module${stderrSummary(this.stderrTail)}`,
      });
    }
    for (const run of [...this.runs.values(), ...this.waiting.splice(0)]) {
      this.finish(run);
      let message = this.failureMessage(run);
      if (message === 'runtime process exited') message = `runtime process exited (${how})`;
      run.resolve({ ...failure(run, message), logs: this.logsOf(run) });
    }
  }
}

function failure(run: PendingRun, error: string): RuntimeRunResult {
  return {
    status: error.startsWith('timed out after') ? 'timeout' : 'failed',
    durationMs: Date.now() - run.started,
    response: null,
    result: null,
    error,
    logs: run.logs,
    events: [],
  };
}

function stderrSummary(stderr: string): string {
  const line = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-1)[0];
  return line ? `: ${line.slice(0, 500)}` : '';
}
