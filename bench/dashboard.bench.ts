// The dashboard in a real browser (Debian's Chromium through playwright-core), against the stack the e2e tests
// start (frontend/e2e/helpers.ts: backend, realtime, storage, the built app behind its own server with /api
// proxied): the first load of the login page and of the dashboard after sign-in (cold: a new browser context each
// time, so no HTTP cache), the initial JavaScript gzipped, and a table of 100,000 rows paging in the table page
// without loading them all. Goals (issue 11): each load < 2 s, initial JS < 250 KB gzipped.
// Usage: npm run bench:dashboard   env: BENCH_LOADS=7 (cold loads per page), BENCH_ROWS=100000, CHROMIUM_PATH
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { runMigrations } from '../backend/src/db/migrate.ts';
import { measureInitialJs, INITIAL_JS_BUDGET_BYTES } from '../frontend/server/bundle-size.ts';
import { DASHBOARD_DIST } from '../scripts/lib/dashboard.ts';
import { startTestStack, type TestStack } from '../scripts/lib/test-stack.ts';
import { envNumber } from './lib/settings.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const LOADS = Math.floor(envNumber('BENCH_LOADS', 7, 1));
const ROWS = Math.floor(envNumber('BENCH_ROWS', 100_000, 1));
const PAGE_SIZE = 50;
const LOAD_GOAL_MS = 2000;
const TEMPLATE_DB = 'selfdb_bench_template';
const BUDGET_MS = 15 * 60 * 1000;

interface LoadTiming {
  /** Response of the HTML (navigation start to its last byte). */
  html: number;
  domContentLoaded: number;
  load: number;
  /** Until the page shows what it is for (the form, or the summary cards), on the page's own clock. */
  ready: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const ms = (value: number) => `${Math.round(value)} ms`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** Waits (each animation frame) until `ready` holds in the page and answers performance.now() at that frame. */
async function readyAt(page: Page, ready: string): Promise<number> {
  const handle = await page.waitForFunction(`(${ready}) ? performance.now() : null`, null, {
    polling: 'raf',
    timeout: 30_000,
  });
  return Number(await handle.jsonValue());
}

async function navigationTiming(page: Page): Promise<Omit<LoadTiming, 'ready'>> {
  // The load event may end just after the page is ready: wait for it, then read the entry.
  await page.waitForLoadState('load');
  // A string, so this Node program needs no DOM types.
  return page.evaluate<Omit<LoadTiming, 'ready'>>(`(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    if (!nav) throw new Error('no navigation timing entry');
    return { html: nav.responseEnd, domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd };
  })()`);
}

const LOGIN_READY = `document.querySelector('h1')?.textContent === 'Sign in' && !!document.querySelector('input[type=password]')`;
// The summary cards are there when the header's description names the version ("… SelfDB 0.1.0.").
const DASHBOARD_READY = `document.querySelector('main h1, h1')?.textContent === 'Dashboard' && /SelfDB \\S+\\.$/.test(document.querySelector('h1')?.nextElementSibling?.textContent ?? '')`;

/** `LOADS` cold loads of `path`, each in a new context (empty cache) with `storageState` when given. */
async function coldLoads(
  browser: Browser,
  url: string,
  ready: string,
  storageState?: Awaited<ReturnType<BrowserContext['storageState']>>,
): Promise<LoadTiming[]> {
  const timings: LoadTiming[] = [];
  for (let i = 0; i < LOADS; i++) {
    // bypassCSP: the readiness checks are expressions, which the app's CSP (no eval) would refuse.
    const context = await browser.newContext({ bypassCSP: true, ...(storageState ? { storageState } : {}) });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      await page.goto(url, { waitUntil: 'commit' });
      const readyMs = await readyAt(page, ready);
      timings.push({ ...(await navigationTiming(page)), ready: readyMs });
      assert.deepEqual(errors, [], `errors while loading ${url}`);
    } finally {
      await context.close();
    }
  }
  return timings;
}

function printLoads(label: string, timings: LoadTiming[]): number {
  const m = (key: keyof LoadTiming) => median(timings.map((t) => t[key]));
  const ready = m('ready');
  console.log(
    `${label.padEnd(22)} html ${ms(m('html')).padStart(7)}  DOMContentLoaded ${ms(m('domContentLoaded')).padStart(7)}  load ${ms(m('load')).padStart(7)}  ready ${ms(ready).padStart(7)}  (median of ${timings.length}; ready: ${timings.map((t) => Math.round(t.ready)).join(', ')} ms)  ${ready < LOAD_GOAL_MS ? 'OK' : 'OVER 2 s'}`,
  );
  return ready;
}

async function main(): Promise<number> {
  let stack: TestStack | undefined;
  let closeDashboard: (() => Promise<void>) | undefined;
  const teardown = async () => {
    const close = closeDashboard;
    closeDashboard = undefined;
    await close?.().catch(() => {});
    const current = stack;
    stack = undefined;
    await current?.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void teardown().finally(() => process.exit(130)));
  }
  const watchdog = setTimeout(() => {
    console.error(`benchmark exceeded its ${BUDGET_MS / 60000} min budget; tearing down`);
    void teardown().finally(() => process.exit(1));
  }, BUDGET_MS);
  watchdog.unref();

  try {
    console.log('Starting a throwaway Postgres and PgBouncer (transaction mode)...');
    stack = await startTestStack(repoRoot);
    const admin = new pg.Client({ connectionString: stack.directUrl('postgres') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
    await admin.end();
    await runMigrations(stack.directUrl(TEMPLATE_DB), join(repoRoot, 'database/migrations'), {
      info: () => {},
    });
    // The e2e helpers find the cluster as the test runner hands it to test files.
    process.env.SELFDB_TEST_PG_PORT = String(stack.postgresPort);
    process.env.SELFDB_TEST_PGBOUNCER_PORT = String(stack.pgbouncerPort);
    process.env.SELFDB_TEST_TEMPLATE = TEMPLATE_DB;
    const { ADMIN, api, signIn, startDashboardStack } = await import('../frontend/e2e/helpers.ts');

    console.log('Building the dashboard when stale and starting backend, realtime, storage and the app...');
    const s = await startDashboardStack();
    closeDashboard = s.close;
    const date = new Date().toISOString().slice(0, 10);
    console.log(`\nDashboard in Chromium (${s.browser.version()}), ${date}, ${LOADS} cold loads each\n`);

    // Initial JavaScript.
    const js = measureInitialJs(DASHBOARD_DIST);
    for (const script of js.scripts) {
      console.log(
        `initial script         ${script.path}  ${kb(script.bytes)} raw, ${kb(script.gzipBytes)} gzipped`,
      );
    }
    console.log(
      `initial JS total       ${kb(js.gzipBytes)} gzipped (${kb(js.bytes)} raw)  ${js.gzipBytes < INITIAL_JS_BUDGET_BYTES ? 'OK' : 'OVER 250 KB'}`,
    );

    // First loads. The login page before anyone signed in (it also asks whether the install is fresh).
    const login = printLoads('login page', await coldLoads(s.browser, `${s.url}/login`, LOGIN_READY));
    const signInContext = await s.browser.newContext();
    const signInPage = await signInContext.newPage();
    await signIn(signInPage, s.url, ADMIN.email, ADMIN.password);
    const signedIn = await signInContext.storageState();
    await signInContext.close();
    const dashboard = printLoads(
      'dashboard (signed in)',
      await coldLoads(s.browser, `${s.url}/`, DASHBOARD_READY, signedIn),
    );

    // A table of ROWS rows: made through the API, filled with SQL.
    const token = String(
      (
        await api(s.apiUrl, 'POST', '/users/token', undefined, {
          email: ADMIN.email,
          password: ADMIN.password,
        })
      ).access_token,
    );
    const table = await api(s.apiUrl, 'POST', '/tables/', token, {
      name: 'bench_rows',
      public: false,
      table_schema: { title: 'text', qty: 'integer', done: 'boolean' },
    });
    const started = Date.now();
    await s.stack.sql.query(
      `INSERT INTO bench_rows (title, qty, done) SELECT 'row ' || g, g, g % 2 = 0 FROM generate_series(1, ${ROWS}) AS g`,
    );
    await s.stack.sql.query('ANALYZE bench_rows');
    console.log(`\ntable bench_rows        ${ROWS} rows inserted with SQL in ${ms(Date.now() - started)}`);

    const lastFrom = (Math.ceil(ROWS / PAGE_SIZE) - 1) * PAGE_SIZE + 1;
    const firstPages: number[] = [];
    const farPages: number[] = [];
    let rowsInDom = 0;
    let dataBytes = 0;
    for (let i = 0; i < LOADS; i++) {
      const context = await s.browser.newContext({ bypassCSP: true, storageState: signedIn });
      try {
        const page = await context.newPage();
        let bytes = 0;
        page.on('response', (response) => {
          if (/\/api\/tables\/[^/]+\/data/.test(response.url())) {
            void response.body().then(
              (body) => (bytes += body.length),
              () => {},
            );
          }
        });
        await page.goto(`${s.url}/tables/${String(table.id)}`, { waitUntil: 'commit' });
        firstPages.push(
          await readyAt(
            page,
            `document.querySelectorAll('table[aria-label=Rows] tbody tr').length === ${Math.min(PAGE_SIZE, ROWS)} && document.body.textContent.includes('of ${ROWS}')`,
          ),
        );
        // The far page: the last one, 2,000 pages away for 100,000 rows.
        const before = await page.evaluate(() => performance.now());
        await page.getByRole('button', { name: 'Last', exact: true }).click();
        const shown = await readyAt(
          page,
          `document.body.textContent.includes('${lastFrom}–${ROWS} of ${ROWS}')`,
        );
        farPages.push(shown - before);
        rowsInDom = await page.locator('table[aria-label=Rows] tbody tr').count();
        dataBytes = bytes;
      } finally {
        await context.close();
      }
    }
    const first = median(firstPages);
    const far = median(farPages);
    console.log(
      `table page 1           ${ms(first)} from navigation start (median of ${LOADS}: ${firstPages.map(Math.round).join(', ')} ms)  ${first < LOAD_GOAL_MS ? 'OK' : 'OVER 2 s'}`,
    );
    console.log(
      `table last page        ${ms(far)} from the click on Last to rows ${lastFrom}–${ROWS} (median: ${farPages.map(Math.round).join(', ')} ms)`,
    );
    console.log(
      `rows in the page       ${rowsInDom} of ${ROWS}; ${kb(dataBytes)} of row data fetched for both pages (all rows would be about ${kb((dataBytes / (2 * PAGE_SIZE)) * ROWS)})`,
    );
    assert.equal(rowsInDom, Math.min(PAGE_SIZE, ROWS - lastFrom + 1));

    const ok = login < LOAD_GOAL_MS && dashboard < LOAD_GOAL_MS && js.gzipBytes < INITIAL_JS_BUDGET_BYTES;
    console.log(
      `\n${ok ? 'All goals met' : 'A goal was missed'} (loads < 2 s, initial JS < 250 KB gzipped).`,
    );
    return ok ? 0 : 1;
  } finally {
    clearTimeout(watchdog);
    await teardown();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
