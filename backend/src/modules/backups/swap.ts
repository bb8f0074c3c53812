// The moment a restore replaces live data. Everything before it happened in a staging database and a staging
// folder; here the live database is closed to new sessions, its sessions are ended, the storage folders and the
// databases trade places (the databases in one transaction), and every step is undone if a later one fails.
import { mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { RESERVED_NAME_PREFIX, syncDirectory } from '@selfdb/common';
import type pg from 'pg';
import {
  databaseExists,
  dropDatabase,
  isAcceptingConnections,
  listDatabasesStartingWith,
  setAllowConnections,
  swapDatabases,
  terminateConnections,
} from './backups.repository.ts';
import { removeQuietly } from './fs-utils.ts';
import { dropLoaderRole, listRolesStartingWith } from './staging.repository.ts';

interface Log {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * Generated names of the databases a restore or verification creates next to the live one, and of the storage
 * folders a restore creates inside the storage root. With an empty suffix, the prefixes that find them again.
 */
export function companionNames(live: string, suffix: string) {
  const base = live.slice(0, 40);
  return {
    staging: `${base}__restore_${suffix}`,
    previous: `${base}__previous_${suffix}`,
    verify: `${base}__verify_${suffix}`,
    stagedStorage: `${RESERVED_NAME_PREFIX}restore-${suffix}`,
    previousStorage: `${RESERVED_NAME_PREFIX}previous-${suffix}`,
  };
}

/** Moves every bucket folder of `root` into `previousDir`, then every entry of `stagedDir` into `root`. */
async function swapStorage(root: string, stagedDir: string, previousDir: string) {
  const moved: string[] = [];
  const placed: string[] = [];
  const undo = async () => {
    for (const name of placed.reverse()) await rename(join(root, name), join(stagedDir, name));
    for (const name of moved.reverse()) await rename(join(previousDir, name), join(root, name));
  };
  try {
    await mkdir(previousDir, { recursive: true });
    for (const name of await readdir(root)) {
      if (name.startsWith(RESERVED_NAME_PREFIX)) continue;
      await rename(join(root, name), join(previousDir, name));
      moved.push(name);
    }
    for (const name of await readdir(stagedDir)) {
      await rename(join(stagedDir, name), join(root, name));
      placed.push(name);
    }
    await syncDirectory(root);
  } catch (err) {
    await undo();
    throw err;
  }
  return undo;
}

export interface SwapPlan {
  live: string;
  staging: string;
  previous: string;
  storageRoot: string;
  stagedStorage: string;
  previousStorage: string;
}

/** Ends every session of `names`, waiting up to 10 s for them to go. */
async function endSessions(client: pg.Client, names: string[]): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await terminateConnections(client, names)) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Sessions on ${names.join(', ')} did not end after 10 s`);
}

/** Puts the staged database and storage in place of the live ones; on failure the live ones are left as they were. */
export async function swapIn(client: pg.Client, plan: SwapPlan, log: Log): Promise<void> {
  const liveExists = await databaseExists(client, plan.live);
  // Closed first, so that PgBouncer or another replica cannot reconnect between the terminate and the rename.
  if (liveExists) await setAllowConnections(client, plan.live, false);
  try {
    await endSessions(client, liveExists ? [plan.live, plan.staging] : [plan.staging]);
    const undoStorage = await swapStorage(plan.storageRoot, plan.stagedStorage, plan.previousStorage);
    try {
      await swapDatabases(client, plan.live, plan.staging, plan.previous);
    } catch (err) {
      await undoStorage();
      throw err;
    }
  } catch (err) {
    if (liveExists) await setAllowConnections(client, plan.live, true).catch(() => {});
    throw err;
  }
  await setAllowConnections(client, plan.live, true);
  log.info('restore: the restored database and storage are live');
  try {
    await dropDatabase(client, plan.previous);
  } catch (err) {
    log.warn(`restore: could not drop the previous database ${plan.previous}: ${(err as Error).message}`);
  }
  await removeQuietly(plan.previousStorage);
}

/**
 * Cleans up after a restore that was killed half-way (the process died): reopens the live database if it was
 * left closed, drops unfinished staging databases, their loader roles (`rolePrefix`) and folders, and reports what
 * it keeps for a human to judge.
 */
export async function recoverInterruptedRestore(
  client: pg.Client,
  live: string,
  storageRoot: string,
  log: Log,
  rolePrefix: string | null = null,
): Promise<void> {
  const names = companionNames(live, '');
  if ((await isAcceptingConnections(client, live)) === false) {
    log.warn(`restore: ${live} was left closed to connections by an interrupted restore; reopening it`);
    await setAllowConnections(client, live, true);
  }
  for (const name of await listDatabasesStartingWith(client, names.staging)) {
    log.warn(`restore: dropping ${name}, the staging database of an interrupted restore`);
    await dropDatabase(client, name);
  }
  for (const role of rolePrefix ? await listRolesStartingWith(client, rolePrefix) : []) {
    log.warn(`restore: dropping ${role}, the loader role of an interrupted restore`);
    await dropLoaderRole(client, role);
  }
  for (const name of await listDatabasesStartingWith(client, names.previous)) {
    log.warn(`restore: keeping ${name}, the database from before an interrupted restore (drop it once you are sure)`);
  }
  let entries: string[] = [];
  try {
    entries = await readdir(storageRoot);
  } catch {
    return;
  }
  for (const name of entries) {
    if (name.startsWith(names.stagedStorage)) await removeQuietly(join(storageRoot, name));
    if (name.startsWith(names.previousStorage)) {
      log.warn(`restore: keeping ${join(storageRoot, name)}, storage from before an interrupted restore`);
    }
  }
}
