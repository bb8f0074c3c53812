import { DB_ROLES, ERRORS, type Pool, withDatabaseUser } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { createDatabaseTriggers } from '../modules/functions/database-triggers.ts';
import { createJobWorker } from '../modules/functions/job-worker.ts';
import { createRecorder } from '../modules/functions/recorder.ts';
import type { Deployer as FunctionsDeployer } from '../modules/functions/deployer.ts';
import { findFunctionById } from '../modules/functions/functions.repository.ts';
import { createRunner, createVersionPusher, type Deployer } from '../modules/functions/runner.ts';
import { createRuntimeClient, type RuntimeClient } from '../modules/functions/runtime-client.ts';
import { createTriggerSchedules } from '../modules/functions/schedules.ts';
import { createTriggersService } from '../modules/functions/triggers.service.ts';

/**
 * The functions API's deployer as runs need it: a run that found the runtime without its version pushes the
 * function's deployed version (read fresh: the run may hold a cached row).
 */
export function functionsDeployerForRuns(
  pool: Pool,
  deployer: Pick<FunctionsDeployer, 'ensureDeployed'>,
): Deployer {
  return {
    async ensureDeployed(target) {
      const row = await findFunctionById(pool, target.id);
      if (!row) throw ERRORS.functionNotRunnable(target.name);
      await deployer.ensureDeployed(row);
    },
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The parts that run functions (tests reach the worker and the runner through it). */
    functionTriggers: FunctionTriggers;
  }
}

/**
 * What runs functions: the runner and the HTTP trigger's service (used by routes/functions/triggers.ts), and the
 * background parts every backend process runs once it listens (tools and tests that only build the app never
 * start them): the job worker, the schedule and `once` triggers, and the database-trigger dispatcher.
 */
export function installFunctionTriggers(
  app: FastifyInstance,
  config: Readonly<Config>,
  pool: Pool,
  options: { runtime?: RuntimeClient; deployer?: Deployer } = {},
) {
  const runtime =
    options.runtime ??
    createRuntimeClient({ url: config.functions.url, serviceKey: config.functions.serviceKey });
  const deployer = options.deployer ?? createVersionPusher(pool, runtime);
  const runner = createRunner({ pool, runtime, deployer });
  const recorder = createRecorder(runner);
  const log = {
    info: (message: string) => app.log.info(message),
    warn: (message: string) => app.log.warn(message),
    error: (message: string) => app.log.error(message),
  };
  // LISTEN needs a session of its own (PgBouncer is transaction mode): straight to Postgres, as selfdb_app.
  const listenUrl = withDatabaseUser(config.directDatabaseUrl, DB_ROLES.app);
  const worker = createJobWorker({ pool, directUrl: listenUrl, runner, log });
  const schedules = createTriggerSchedules({ pool, log });
  const database = createDatabaseTriggers({ pool, directUrl: listenUrl, log: app.log });
  const service = createTriggersService({ pool, runner, recorder });

  let stopped = false;
  const parts = {
    runtime,
    runner,
    recorder,
    worker,
    schedules,
    database,
    service,
    /**
     * Starts the background parts (done when the server listens). Fastify runs onListen hooks after listen() has
     * resolved, so a server closed at once may get here after stop(): it then starts nothing.
     */
    start(): void {
      if (stopped) return;
      worker.start();
      schedules.start();
      database.start();
    },
    async stop(): Promise<void> {
      stopped = true;
      await Promise.all([database.stop(), schedules.stop()]);
      await worker.stop();
      await recorder.flush();
    },
  };
  app.decorate('functionTriggers', parts);
  app.addHook('onListen', async () => parts.start());
  // preClose: before the pool ends (onClose), so the last runs are recorded.
  app.addHook('preClose', async () => parts.stop());
  app.addHook('onClose', async () => {
    if (!options.runtime) await runtime.close();
  });
  return parts;
}

export type FunctionTriggers = ReturnType<typeof installFunctionTriggers>;
