// The test command (`npm test` runs it after lint and type checks): starts one throwaway Postgres + PgBouncer,
// migrates a template database, runs every *.test.ts file with node's test runner, and always tears down.
// Usage: node --import tsx scripts/run-tests.ts [file-or-folder ...]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runMigrations } from '../backend/src/db/migrate.ts';
import { startTestStack, type TestStack } from './lib/test-stack.ts';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const TEST_ROOTS = [
  'common/src',
  'backend/src',
  'backend/test',
  'storage/src',
  'storage/test',
  'realtime/src',
  'realtime/test',
  'functions/test',
  'scripts',
  'SDKs/typescript/test',
  'frontend/src',
  'frontend/server',
  'frontend/e2e',
];
const TEMPLATE_DB = 'selfdb_template';

function findTests(path: string): string[] {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path)
    .filter((name) => name !== 'node_modules')
    .flatMap((name) => findTests(join(path, name)))
    .sort();
}

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    console.log(
      'Usage: node --import tsx scripts/run-tests.ts [file-or-folder ...]\nRuns the test suites against a throwaway Postgres + PgBouncer.',
    );
    return 0;
  }
  const targets = process.argv.slice(2);
  const files = (
    targets.length ? targets.map((t) => resolve(t)) : TEST_ROOTS.map((r) => join(root, r))
  ).flatMap(findTests);
  if (files.length === 0) {
    console.error('No test files found.');
    return 1;
  }

  console.log('Starting a throwaway Postgres and PgBouncer (transaction mode)...');
  let stack: TestStack | undefined;
  const stop = async () => {
    const current = stack;
    stack = undefined;
    await current?.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void stop().finally(() => process.exit(130)));
  }
  const reportDir = mkdtempSync(join(tmpdir(), 'selfdb-report-'));
  try {
    stack = await startTestStack(root);
    const admin = new pg.Client({ connectionString: stack.directUrl('postgres') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
    await admin.end();
    await runMigrations(stack.directUrl(TEMPLATE_DB), join(root, 'database/migrations'), { info: () => {} });
    console.log(
      `Postgres on :${stack.postgresPort}, PgBouncer on :${stack.pgbouncerPort}; ${files.length} test files`,
    );

    const tap = join(reportDir, 'report.tap');
    const code = await new Promise<number>((done) => {
      const child = spawn(
        process.execPath,
        [
          // In-repo packages (the SDK) resolve to their sources, so no build is needed before the tests.
          '--conditions=@selfdb/source',
          '--import',
          'tsx',
          '--test',
          '--test-reporter=spec',
          '--test-reporter-destination=stdout',
          '--test-reporter=tap',
          `--test-reporter-destination=${tap}`,
          ...files.map((f) => relative(root, f)),
        ],
        {
          cwd: root,
          stdio: 'inherit',
          env: {
            ...process.env,
            SELFDB_TEST_PG_PORT: String(stack?.postgresPort),
            SELFDB_TEST_PGBOUNCER_PORT: String(stack?.pgbouncerPort),
            SELFDB_TEST_TEMPLATE: TEMPLATE_DB,
          },
        },
      );
      child.on('exit', (status) => done(status ?? 1));
    });
    const report = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
    const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(report)?.[1] ?? 0);
    const passed = count('pass');
    const failed = count('fail') + (code !== 0 && count('fail') === 0 ? 1 : 0);
    console.log(`${passed} passed, ${failed} failed`);
    return code === 0 && passed > 0 ? 0 : 1;
  } finally {
    await stop();
    rmSync(reportDir, { recursive: true, force: true });
  }
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  console.log('0 passed, 1 failed');
  return 1;
});
