// What clients are told about a failed backup or restore: one line, no secret.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstErrorLine } from './postgres-tools.ts';
import { Redactor } from './redact.ts';

test('known values, URL passwords, password=... pairs and .env values are replaced', () => {
  const redactor = new Redactor(['the-api-key-0123', null, 'abc']);
  redactor.addUrl('postgresql://postgres:p%40ss%2Fword@127.0.0.1:5432/selfdb');
  const archive = redactor.fork();
  archive.addEnv(
    [
      '# comment',
      'SECRET_KEY=0123456789abcdef',
      'export ADMIN_PASSWORD="pw42"',
      "CORS_ORIGINS='http://localhost:3000,http://localhost:8000'",
      'POSTGRES_DB=selfdb',
      'BACKEND_PORT=8000',
      'DATABASE_URL=postgresql://app:from-the-url@db/selfdb',
    ].join('\n'),
  );
  const text =
    'the-api-key-0123 p@ss/word 0123456789abcdef pw42 http://localhost:3000,http://localhost:8000 ' +
    'postgresql://u:urlsecret@h/d password=hunter2 "api_key": "k-123" from-the-url selfdb 8000 abc';
  const clean = archive.clean(text);
  for (const secret of ['the-api-key-0123', 'p@ss/word', '0123456789abcdef', 'urlsecret', 'hunter2', 'k-123']) {
    assert.ok(!clean.includes(secret), `${secret}: ${clean}`);
  }
  assert.ok(!clean.includes('from-the-url') && !clean.includes('localhost:3000'));
  assert.ok(!clean.includes('pw42'), 'short values of secret keys too');
  // Short values of other keys name things; values under 4 characters are never secrets.
  assert.match(clean, / selfdb 8000 abc$/);
  // The base redactor does not learn the archive's values.
  assert.ok(redactor.clean('0123456789abcdef').includes('0123456789abcdef'));
});

test('detail(): the first non-empty line only, redacted and bounded', () => {
  const redactor = new Redactor(['s3cr3t-value']);
  assert.equal(redactor.detail('\n  first s3cr3t-value line\nsecond line with more'), 'first [redacted] line');
  assert.equal(redactor.detail('x'.repeat(2000)).length, 601);
  assert.equal(redactor.detail(''), 'unknown error');
});

test('firstErrorLine(): the ERROR/FATAL line of a tool’s stderr, psql’s input line apart', () => {
  assert.deepEqual(
    firstErrorLine('NOTICE:  x\npsql:<stdin>:12: ERROR:  permission denied for function lo_import\nCONTEXT: y'),
    { text: 'ERROR: permission denied for function lo_import', line: 12 },
  );
  assert.deepEqual(firstErrorLine('psql:<stdin>:3: error: backslash commands are restricted'), {
    text: 'error: backslash commands are restricted',
    line: 3,
  });
  assert.deepEqual(firstErrorLine('pg_dump: error: connection failed\npg_dump: detail'), {
    text: 'pg_dump: error: connection failed',
    line: null,
  });
  assert.deepEqual(firstErrorLine(''), { text: 'no message', line: null });
});
