// The Backups and Schema pages in a real browser against a real backend: creating a backup shows its progress and
// then its row, verifying it shows the report, downloading it gives a gzip tar archive that a fresh install restores
// from its sign-in page, deleting asks first; the schema graph shows two related tables and the edge between them,
// and the change log their creation. Every step waits on what the user sees, never on time.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  ADMIN,
  api,
  collectPageErrors,
  type DashboardStack,
  signIn,
  startDashboardStack,
} from './helpers.ts';

describe('backups and schema pages', { timeout: 300_000 }, () => {
  let s: DashboardStack;
  let page: Page;
  let errors: string[];
  let adminToken: string;
  let root: string;
  const nav = (name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'selfdb-e2e-backups-'));
    mkdirSync(join(root, 'backups'));
    mkdirSync(join(root, 'storage'));
    writeFileSync(join(root, 'env'), 'API_KEY=e2e\n');
    s = await startDashboardStack({
      backend: {
        BACKUPS_DIR: join(root, 'backups'),
        STORAGE_DATA_PATH: join(root, 'storage'),
        BACKUP_ENV_FILE: join(root, 'env'),
        BACKUP_SCHEDULE_CRON: 'off',
        RESTORE_TOKEN_FILE: join(root, 'restore-token'),
      },
    });
    const context = await s.browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    errors = collectPageErrors(page);
    await signIn(page, s.url, ADMIN.email, ADMIN.password);
    adminToken = String(
      (
        await api(s.apiUrl, 'POST', '/users/token', undefined, {
          email: ADMIN.email,
          password: ADMIN.password,
        })
      ).access_token,
    );
  });

  after(async () => {
    await s?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('opens the Backups page empty', async () => {
    await nav('Backups').click();
    await page.getByRole('heading', { name: 'Backups' }).waitFor();
    await page.getByText('No backups yet').waitFor();
    // The schedule and retention come from the server (off in this stack).
    await page
      .getByTestId('backup-schedule')
      .getByText(/Scheduled backups are off/)
      .waitFor();
  });

  it('creates a backup: the progress shows while it runs, then the new row', async () => {
    // Some data, so the verification has rows to count.
    await api(s.apiUrl, 'POST', '/sql/query', adminToken, {
      query:
        "CREATE TABLE e2e_notes (id serial PRIMARY KEY, body text); INSERT INTO e2e_notes (body) SELECT repeat('x', 200) FROM generate_series(1, 20000)",
    });
    // A transaction holding a lock on the table keeps pg_dump waiting at its start, so the running backup stays
    // on screen until the test has seen its progress (no race with a fast dump).
    await s.stack.sql.query('BEGIN');
    await s.stack.sql.query('LOCK TABLE e2e_notes IN ACCESS EXCLUSIVE MODE');
    try {
      await page.getByRole('button', { name: 'Create backup' }).click();
      await page.getByRole('button', { name: 'Creating…' }).waitFor();
      const progress = page.getByTestId('backup-progress');
      await progress.getByText(/Backup: dumping database/).waitFor();
      await progress.getByRole('progressbar').waitFor();
    } finally {
      await s.stack.sql.query('COMMIT');
    }
    await page
      .getByRole('status')
      .filter({ hasText: /Backup created successfully/ })
      .waitFor();
    const row = page.getByTestId('backup-row');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    assert.match((await row.first().textContent()) ?? '', /selfdb_backup_\d{8}_\d{6}\.tar\.gz/);
    assert.match((await row.first().textContent()) ?? '', /standard/);
    await page.getByTestId('backup-progress').waitFor({ state: 'detached' });
  });

  it('verifies the backup and shows the report', async () => {
    const filename = (
      (await page.getByTestId('backup-row').first().locator('td').first().textContent()) ?? ''
    ).trim();
    await page.getByRole('button', { name: `Verify ${filename}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Verification' });
    await dialog.waitFor({ timeout: 120_000 });
    await dialog.getByText('OK: the archive restores completely.').waitFor();
    const notes = dialog.getByRole('row').filter({ hasText: 'e2e_notes' });
    assert.match((await notes.textContent()) ?? '', /20000\s*20000/);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('downloads the backup as a gzip tar archive', async () => {
    const filename = (
      (await page.getByTestId('backup-row').first().locator('td').first().textContent()) ?? ''
    ).trim();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: `Download ${filename}` }).click(),
    ]);
    assert.equal(download.suggestedFilename(), filename);
    const saved = join(root, 'downloaded.tar.gz');
    await download.saveAs(saved);
    const bytes = readFileSync(saved);
    assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b], 'gzip magic');
    const members = execFileSync('tar', ['-tzf', saved], { encoding: 'utf8' }).split('\n');
    assert.ok(members.includes('database.sql'), members.join(', '));
    assert.ok(members.includes('manifest.json'), members.join(', '));
  });

  it('restores that download on a fresh install from the sign-in page, with the restore token', async () => {
    const freshRoot = join(root, 'fresh');
    mkdirSync(join(freshRoot, 'backups'), { recursive: true });
    mkdirSync(join(freshRoot, 'storage'));
    const tokenFile = join(freshRoot, 'restore-token');
    const fresh = await startDashboardStack({
      backend: {
        BACKUPS_DIR: join(freshRoot, 'backups'),
        STORAGE_DATA_PATH: join(freshRoot, 'storage'),
        BACKUP_ENV_FILE: join(root, 'env'),
        BACKUP_SCHEDULE_CRON: 'off',
        RESTORE_TOKEN_FILE: tokenFile,
      },
    });
    // The restore swaps the database and ends every session on the old one, this helper's own among them.
    fresh.stack.sql.on('error', () => {});
    try {
      // The backend writes the one-time token when it starts listening on a fresh install.
      let token = '';
      while (!token) {
        token = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '';
        if (!token) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const freshPage = await (await fresh.browser.newContext()).newPage();
      freshPage.setDefaultTimeout(60_000);
      const freshErrors = collectPageErrors(freshPage);
      await freshPage.goto(`${fresh.url}/login`);
      await freshPage.getByRole('button', { name: 'Fresh install? Restore from a backup' }).click();
      await freshPage.getByLabel('Backup archive (.tar.gz)').setInputFiles(join(root, 'downloaded.tar.gz'));
      await freshPage.getByLabel('Restore token').fill(token);
      await freshPage.getByRole('button', { name: 'Restore', exact: true }).click();
      await freshPage
        .getByRole('status')
        .filter({ hasText: /Backup restored successfully/ })
        .waitFor({ timeout: 120_000 });
      // The restored install has the table the backup held.
      const freshToken = String(
        (
          await api(fresh.apiUrl, 'POST', '/users/token', undefined, {
            email: ADMIN.email,
            password: ADMIN.password,
          })
        ).access_token,
      );
      const counted = await api(fresh.apiUrl, 'POST', '/sql/query', freshToken, {
        query: 'SELECT count(*)::int AS n FROM e2e_notes',
      });
      assert.match(JSON.stringify(counted), /20000/);
      assert.deepEqual(freshErrors, []);
    } finally {
      await fresh.close();
    }
  });

  it('deletes a backup after a confirmation', async () => {
    await api(s.apiUrl, 'POST', '/backups', adminToken);
    await page.reload();
    await page.getByTestId('backup-row').nth(1).waitFor();
    const filename = (
      (await page.getByTestId('backup-row').first().locator('td').first().textContent()) ?? ''
    ).trim();
    await page.getByRole('button', { name: `Delete ${filename}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete backup' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await page.getByTestId('backup-row').count(), 2);
    await page.getByRole('button', { name: `Delete ${filename}` }).click();
    await dialog.getByRole('button', { name: 'Delete backup' }).click();
    await page.getByRole('row').filter({ hasText: filename }).waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('backup-row').count(), 1);
  });

  it('draws two related tables and the foreign key between them, and logs their creation', async () => {
    await api(s.apiUrl, 'POST', '/sql/query', adminToken, {
      query:
        'CREATE TABLE e2e_authors (id serial PRIMARY KEY, name text NOT NULL); ' +
        'CREATE TABLE e2e_books (id serial PRIMARY KEY, title text, author_id integer REFERENCES e2e_authors (id))',
    });
    await nav('Schema').click();
    await page.getByRole('heading', { name: 'Schema' }).waitFor();
    const authors = page.getByTestId('schema-node').filter({ hasText: 'e2e_authors' });
    const books = page.getByTestId('schema-node').filter({ hasText: 'e2e_books' });
    await authors.waitFor();
    await books.waitFor();
    assert.match((await books.textContent()) ?? '', /author_id\s*integer/);
    assert.match((await authors.textContent()) ?? '', /PKid\s*integer/);
    // The edge: React Flow draws it as an SVG path labelled with the columns.
    await page.locator('.react-flow__edge').filter({ hasText: 'author_id → id' }).waitFor();
    assert.equal(
      await page
        .locator('.react-flow__edge[aria-label="e2e_books.author_id references e2e_authors.id"]')
        .count(),
      1,
    );

    const log = page.getByRole('table', { name: 'Schema changes' });
    await log
      .getByRole('row')
      .filter({ hasText: 'public.e2e_books' })
      .filter({ hasText: 'CREATE TABLE' })
      .first()
      .waitFor();
    await log
      .getByRole('row')
      .filter({ hasText: 'public.e2e_authors' })
      .filter({ hasText: 'CREATE TABLE' })
      .first()
      .waitFor();
    assert.deepEqual(errors, []);
  });
});
