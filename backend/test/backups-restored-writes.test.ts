// After SelfDB 0.0.5's own archive is restored, every kind of write works through the API, as on a fresh install:
// its schema lacks the id defaults SelfDB relies on (migration 0034 adds them), and everything restored belongs to
// the live database's owner, not to the role that loaded it (which is gone).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { storageServiceKey } from '@selfdb/common';
import { startStorage, type TestStorage } from '../../storage/test/helpers.ts';
import { call, login, SECRET_KEY } from './helpers.ts';
import {
  type BackupsTestApp,
  FIXTURE,
  leftovers,
  query,
  startBackupsApp,
  uploadRestore,
} from './backups-helpers.ts';
import { download, upload } from './storage-helpers.ts';

let t: BackupsTestApp;
let storage: TestStorage;
let admin = '';
let alice = '';

before(async () => {
  storage = await startStorage(storageServiceKey(SECRET_KEY));
  // The backend restores into the storage service's own folder, and serves files through it.
  t = await startBackupsApp({
    STORAGE_DATA_PATH: storage.root,
    STORAGE_HOST: '127.0.0.1',
    STORAGE_INTERNAL_PORT: String(await storage.listen()),
  });
  const restored = await uploadRestore(t, readFileSync(FIXTURE));
  assert.equal(restored.status, 200, JSON.stringify(restored.body));
  admin = (await login(t.app, 'admin@example.com', 'password')).access_token;
  alice = (await login(t.app, 'alice@example.com', 'alicepass123')).access_token;
});
after(async () => {
  await t?.close();
  await storage?.close();
});

/** Asserts a 2xx and returns the body. */
async function ok(method: string, url: string, options: Parameters<typeof call>[3] = {}) {
  const response = await call(t.app, method, url, options);
  assert.ok(
    response.status >= 200 && response.status < 300,
    `${method} ${url}: ${response.status} ${JSON.stringify(response.body)}`,
  );
  return response.body;
}

test('the restored database is the superuser’s, every object selfdb_owner’s; no loader role, no event trigger missing', async () => {
  const [owner] = await query<{ owner: string }>(
    t.db.directUrl,
    `SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()`,
  );
  const [me] = await query<{ me: string }>(t.db.directUrl, 'SELECT current_user AS me');
  assert.equal(owner?.owner, me?.me);
  const strangers = await query<{ what: string }>(
    t.db.directUrl,
    `SELECT c.oid::regclass::text AS what FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname IN ('public', 'auth', 'realtime', 'selfdb') AND pg_get_userbyid(c.relowner) <> 'selfdb_owner'
       AND c.relname NOT IN ('selfdb_migrations', 'selfdb_migrations_pkey')
     UNION ALL
     SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname IN ('public', 'auth', 'realtime', 'selfdb') AND pg_get_userbyid(p.proowner) <> 'selfdb_owner'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')`,
  );
  assert.deepEqual(strangers, [], 'everything is selfdb_owner’s');
  const triggers = await query<{ evtname: string }>(
    t.db.directUrl,
    'SELECT evtname FROM pg_event_trigger ORDER BY 1',
  );
  assert.deepEqual(
    triggers.map((row) => row.evtname),
    ['selfdb_adopt_objects', 'selfdb_schema_changes_ddl', 'selfdb_schema_changes_drop'],
  );
  assert.deepEqual(await leftovers(t), []);
});

test('users: sign-up, creation by an admin, profile and admin updates, refresh, logout, deletion', async () => {
  const signedUp = await ok('POST', '/users/', {
    body: { email: 'new@example.com', password: 'NewUser12345', firstName: 'New', lastName: 'User' },
  });
  assert.match(String(signedUp.id), /^[0-9a-f-]{36}$/);
  const made = await ok('POST', '/users/', {
    token: admin,
    body: { email: 'made@example.com', password: 'MadeUser12345', firstName: 'Made', lastName: 'ByAdmin' },
  });
  const tokens = await login(t.app, 'new@example.com', 'NewUser12345');
  await ok('PATCH', `/users/${signedUp.id}`, { token: tokens.access_token, body: { firstName: 'Renamed' } });
  await ok('PATCH', `/users/${made.id}`, { token: admin, body: { lastName: 'Changed', role: 'ADMIN' } });
  const refreshed = await ok('POST', '/users/token/refresh', {
    body: { refresh_token: tokens.refresh_token },
  });
  await ok('POST', '/users/logout', {
    token: String(refreshed.access_token),
    body: { refresh_token: refreshed.refresh_token },
  });
  await ok('DELETE', `/users/${made.id}`, { token: admin });
  assert.equal((await ok('GET', '/users/count', { token: admin })) as unknown as number, 4);
});

test('tables: create, rows (insert, update, delete), columns (add, change, drop), update and delete the table', async () => {
  const table = await ok('POST', '/tables/', {
    token: admin,
    body: {
      name: 'after_restore',
      table_schema: { title: { type: 'text' }, n: { type: 'integer' } },
      public: true,
    },
  });
  const id = String(table.id);
  const row = await ok('POST', `/tables/${id}/data`, { token: admin, body: { title: 'first', n: 1 } });
  const rowId = String((row.data as Record<string, unknown>).id);
  await ok('PATCH', `/tables/${id}/data/${rowId}`, { token: admin, body: { n: 2 } });
  await ok('POST', `/tables/${id}/columns`, {
    token: admin,
    body: { name: 'extra', type: 'text', nullable: true },
  });
  await ok('PATCH', `/tables/${id}/columns/extra`, { token: admin, body: { new_name: 'renamed' } });
  await ok('DELETE', `/tables/${id}/columns/renamed`, { token: admin });
  await ok('PATCH', `/tables/${id}`, { token: admin, body: { description: 'made after a restore' } });
  await ok('DELETE', `/tables/${id}/data/${rowId}`, { token: admin });
  await ok('DELETE', `/tables/${id}`, { token: admin });
});

test('restored tables take rows without an id (0.0.5 made ids itself), and their rows change and go', async () => {
  const [products] = await query<{ id: string }>(
    t.db.directUrl,
    "SELECT id FROM tables WHERE name = 'products'",
  );
  const inserted = await ok('POST', `/tables/${products?.id}/data`, {
    token: admin,
    body: { name: 'Spoon', price: 1.5, in_stock: true },
  });
  const rowId = String((inserted.data as Record<string, unknown>).id);
  assert.match(rowId, /^[0-9a-f-]{36}$/);
  await ok('PATCH', `/tables/${products?.id}/data/${rowId}`, { token: admin, body: { price: 2 } });
  await ok('DELETE', `/tables/${products?.id}/data/${rowId}`, { token: admin });
  // Alice's private table with a user_id column: she writes her own rows.
  const [notes] = await query<{ id: string }>(t.db.directUrl, "SELECT id FROM tables WHERE name = 'notes'");
  const note = await ok('POST', `/tables/${notes?.id}/data`, {
    token: alice,
    body: { body: 'after the restore' },
  });
  await ok('PATCH', `/tables/${notes?.id}/data/${(note.data as Record<string, unknown>).id}`, {
    token: alice,
    body: { body: 'edited' },
  });
});

test('SQL console: queries are run and kept in the history; snippets are saved and deleted', async () => {
  await ok('POST', '/sql/query', { token: admin, body: { query: 'SELECT count(*) FROM products' } });
  await ok('POST', '/sql/query', { token: admin, body: { query: 'CREATE TABLE console_made (x int)' } });
  const history = await ok('GET', '/sql/history', { token: admin });
  const queries = (history.history as { query: string }[]).map((entry) => entry.query);
  assert.ok(queries.includes('SELECT count(*) FROM products'), queries.join(' | '));
  const snippet = await ok('POST', '/sql/snippets', {
    token: admin,
    body: { name: 'after restore', sql_code: 'SELECT 1', description: 'x', is_shared: false },
  });
  await ok('DELETE', `/sql/snippets/${snippet.id}`, { token: admin });
  await ok('DELETE', '/sql/history', { token: admin });
});

test('storage: restored files download; new buckets and files are made, changed and deleted', async () => {
  const [assets] = await query<{ id: string }>(
    t.db.directUrl,
    "SELECT id FROM buckets WHERE name = 'public-assets'",
  );
  const logo = await download(t.app, '/storage/files/download/public-assets/logo.txt');
  assert.equal(logo.status, 200);
  assert.equal(logo.bytes.length, 13);
  const added = await upload(t.app, String(assets?.id), 'added.txt', 'added after the restore', {
    token: admin,
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));

  const bucket = await ok('POST', '/storage/buckets/', {
    token: alice,
    body: { name: 'alice-new', public: false },
  });
  const file = await upload(t.app, String(bucket.id), 'mine.txt', 'mine', { token: alice });
  assert.equal(file.status, 201, JSON.stringify(file.body));
  const fileId = String(file.body.file_id);
  await ok('PATCH', `/storage/files/${fileId}`, { token: alice, body: { tag: 'x' } });
  await ok('PATCH', `/storage/buckets/${bucket.id}`, { token: alice, body: { description: 'new' } });
  await ok('DELETE', `/storage/files/${fileId}`, { token: alice });
  await ok('DELETE', `/storage/buckets/${bucket.id}`, { token: alice });
});

test('a backup of the restored install works, and the schema change log records DDL again', async () => {
  const created = await ok('POST', '/backups', { token: admin });
  assert.match(String(created.filename), /^selfdb_backup_/);
  const changes = await query<{ n: number }>(
    t.db.directUrl,
    "SELECT count(*)::int AS n FROM selfdb_schema_changes WHERE object_identity LIKE '%after_restore%'",
  );
  assert.ok((changes[0]?.n ?? 0) > 0, 'DDL after the restore is logged');
});
