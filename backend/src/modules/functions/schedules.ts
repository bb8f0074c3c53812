// Schedule and `once` triggers, and change capture for database triggers. Every backend process keeps the deployed
// triggers in view (re-read every `refreshMs`; a deploy or an edit shows within that time) and runs node-cron for
// each schedule; a tick, and a `once` run of a deployed version, is claimed in selfdb.function_trigger_runs in the
// same transaction that enqueues its job, so across any number of processes it runs exactly once.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { type FunctionTrigger, type Pool, withTransaction } from '@selfdb/common';
import { schedule, type ScheduledTask, validate } from 'node-cron';
import { enqueueJob } from './jobs.repository.ts';
import {
  captureForFunctions,
  claimTriggerRun,
  listTriggeredFunctions,
  pruneTriggerRuns,
  releaseFunctionCapture,
  type TriggeredFunction,
} from './triggers.repository.ts';

/** Schedule and `once` runs wait for a runtime that is down, but never run a failing function twice. */
export const TRIGGER_JOB = { maxAttempts: 5, retryDelaySeconds: 1 };
const KEEP_CLAIMS_DAYS = 7;
const RECHECK_CAPTURE_EVERY = 5;
const PRUNE_EVERY_MS = 3_600_000;

export interface SchedulesOptions {
  pool: Pool;
  log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void };
  refreshMs?: number;
}

/** A schedule trigger's claim key: its position and expression (an edit of the expression is a new trigger). */
const scheduleKey = (index: number, cron: string) => `schedule:${index}:${cron}`;

/** The tick a cron fire stands for: whole minutes for five fields, whole seconds for six (same in every process). */
export function tickOf(cron: string, date: Date): Date {
  const unit = cron.trim().split(/\s+/).length >= 6 ? 1000 : 60_000;
  return new Date(Math.floor(date.getTime() / unit) * unit);
}

export function createTriggerSchedules(options: SchedulesOptions) {
  const { pool, log } = options;
  const refreshMs = options.refreshMs ?? 2000;
  const processId = `${hostname()}:${process.pid}`;
  const tasks = new Map<string, ScheduledTask>();
  const captured = new Set<string>();
  /** `once` runs this process saw claimed (by itself or another): not claimed again. */
  const onceDone = new Set<string>();
  let lastPrune = 0;
  let fingerprint = '';
  let refreshes = 0;
  let timer: NodeJS.Timeout | null = null;
  let stopped = true;
  let refreshing: Promise<void> | null = null;
  const ticks = new Set<Promise<unknown>>();

  /** Claims a tick and enqueues its run in one transaction; false when another process had claimed it. */
  async function claimAndEnqueue(
    fn: TriggeredFunction,
    key: string,
    scheduledFor: Date,
    triggerType: 'schedule' | 'manual',
    payload: unknown,
  ): Promise<boolean> {
    return withTransaction(pool, async (client) => {
      if (!(await claimTriggerRun(client, fn.id, key, scheduledFor, processId))) return false;
      await enqueueJob(client, { functionId: fn.id, triggerType, payload, ...TRIGGER_JOB });
      return true;
    });
  }

  function onTick(
    fn: TriggeredFunction,
    index: number,
    trigger: { cron: string; name?: string },
    date: Date,
  ) {
    const tick = tickOf(trigger.cron, date);
    const payload = {
      trigger: 'schedule',
      name: trigger.name ?? null,
      cron: trigger.cron,
      scheduled_for: tick.toISOString(),
    };
    const work = claimAndEnqueue(fn, scheduleKey(index, trigger.cron), tick, 'schedule', payload).catch(
      (err: Error) => log.error(`schedule of function ${fn.name} at ${tick.toISOString()}: ${err.message}`),
    );
    ticks.add(work);
    void work.finally(() => ticks.delete(work));
  }

  function apply(functions: TriggeredFunction[]): void {
    const wanted = new Map<string, { fn: TriggeredFunction; index: number; cron: string; name?: string }>();
    for (const fn of functions) {
      fn.triggers.forEach((trigger: FunctionTrigger, index) => {
        if (trigger.type !== 'schedule' || typeof trigger.cron !== 'string') return;
        if (!validate(trigger.cron)) {
          log.warn(`function ${fn.name}: schedule "${trigger.cron}" is not a valid cron expression`);
          return;
        }
        const key = `${fn.id}:${fn.deployed_version}:${scheduleKey(index, trigger.cron)}`;
        wanted.set(key, { fn, index, cron: trigger.cron, ...(trigger.name && { name: trigger.name }) });
      });
    }
    for (const [key, task] of tasks) {
      if (wanted.has(key)) continue;
      void task.destroy();
      tasks.delete(key);
    }
    for (const [key, entry] of wanted) {
      if (tasks.has(key)) continue;
      const trigger = { cron: entry.cron, ...(entry.name && { name: entry.name }) };
      tasks.set(
        key,
        schedule(entry.cron, (context) => onTick(entry.fn, entry.index, trigger, context.date), {
          name: `selfdb-function-${entry.fn.name}-${entry.index}`,
        }),
      );
    }
  }

  async function runOnce(functions: TriggeredFunction[]): Promise<void> {
    for (const fn of functions) {
      if (!fn.triggers.some((t) => t.type === 'once')) continue;
      const key = `${fn.id}:${fn.deployed_version}:${new Date(fn.version_created_at).toISOString()}`;
      if (onceDone.has(key)) continue;
      const payload = { trigger: 'once', version: fn.deployed_version };
      if (await claimAndEnqueue(fn, 'once', new Date(fn.version_created_at), 'manual', payload)) {
        log.info(`function ${fn.name}: once trigger of version ${fn.deployed_version} queued`);
      }
      onceDone.add(key);
    }
  }

  async function captureTables(functions: TriggeredFunction[]): Promise<void> {
    const tables = new Set<string>();
    for (const fn of functions) {
      for (const t of fn.triggers)
        if (t.type === 'database' && typeof t.table === 'string') tables.add(t.table);
    }
    for (const table of tables) {
      if (captured.has(table)) continue;
      try {
        if (await captureForFunctions(pool, table))
          log.info(`change capture on for table ${table} (functions)`);
        captured.add(table);
      } catch (err) {
        log.warn(`change capture for table ${table}: ${(err as Error).message}`);
      }
    }
  }

  async function refreshNow(): Promise<void> {
    const functions = await listTriggeredFunctions(pool);
    const print = createHash('sha256')
      .update(
        JSON.stringify(functions.map((f) => [f.id, f.deployed_version, f.triggers, f.version_created_at])),
      )
      .digest('hex');
    // Capture may have been lost meanwhile (a table dropped and made again): every table is checked again on a
    // change of the triggers, and every RECHECK_CAPTURE_EVERY refreshes.
    if (print !== fingerprint || ++refreshes % RECHECK_CAPTURE_EVERY === 0) captured.clear();
    if (print !== fingerprint) {
      apply(functions);
      const released = await releaseFunctionCapture(pool);
      if (released > 0) log.info(`change capture off for ${released} table(s) no function listens to`);
      fingerprint = print;
    }
    await captureTables(functions);
    await runOnce(functions);
    if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
      lastPrune = Date.now();
      await pruneTriggerRuns(pool, KEEP_CLAIMS_DAYS);
    }
  }

  /** Re-reads the deployed triggers now (one refresh at a time). */
  function refresh(): Promise<void> {
    if (!refreshing) {
      refreshing = refreshNow()
        .catch((err: Error) => log.warn(`function triggers refresh: ${err.message}`))
        .finally(() => {
          refreshing = null;
        });
    }
    return refreshing;
  }

  return {
    /** One tick of one schedule trigger (node-cron calls it; tests call it to fire ticks at once). */
    runTick(fn: TriggeredFunction, index: number, trigger: { cron: string; name?: string }, date: Date) {
      onTick(fn, index, trigger, date);
      return Promise.all([...ticks]).then(() => undefined);
    },
    refresh,
    start(): void {
      if (!stopped) return;
      stopped = false;
      void refresh();
      timer = setInterval(() => void refresh(), refreshMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      for (const task of tasks.values()) void task.destroy();
      tasks.clear();
      await refreshing;
      await Promise.all([...ticks]);
    },
  };
}
