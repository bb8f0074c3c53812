import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, createEnvReader, freeze, postgresUrl, readJwtSecret } from './config.ts';

test('string: value, fallback, and a missing variable named in the error', () => {
  const read = createEnvReader({ A: 'x', EMPTY: '' });
  assert.equal(read.string('A'), 'x');
  assert.equal(read.string('B', 'fallback'), 'fallback');
  assert.equal(read.string('EMPTY', 'fallback'), 'fallback', 'empty counts as unset');
  assert.throws(
    () => read.string('MISSING'),
    (err: Error) => err instanceof ConfigError && /MISSING/.test(err.message),
  );
});

test('NAME_FILE supplies a secret from a file; an unreadable file is a clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  try {
    writeFileSync(join(dir, 'secret'), 'from-file\n');
    const read = createEnvReader({ SECRET_FILE: join(dir, 'secret'), BAD_FILE: join(dir, 'nope') });
    assert.equal(read.string('SECRET'), 'from-file');
    assert.throws(() => read.string('BAD'), /BAD_FILE points to/);
    assert.equal(
      createEnvReader({ SECRET: 'direct', SECRET_FILE: join(dir, 'secret') }).string('SECRET'),
      'direct',
    );
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('int, bool and list parse strictly', () => {
  const read = createEnvReader({ N: '42', F: '4.5', T: 'yes', OFF: '0', WEIRD: 'maybe', L: ' a, b ,,c ' });
  assert.equal(read.int('N', 1), 42);
  assert.equal(read.int('UNSET', 7), 7);
  assert.throws(() => read.int('F', 1), /integer/);
  assert.throws(() => read.int('N', 1, { max: 10 }), /<= 10/);
  assert.equal(read.bool('T', false), true);
  assert.equal(read.bool('OFF', true), false);
  assert.throws(() => read.bool('WEIRD', true), /true or false/);
  assert.deepEqual(read.list('L', []), ['a', 'b', 'c']);
});

test('freeze makes the config and its nested objects immutable', () => {
  const config = freeze({ a: 1, nested: { b: 2 } });
  assert.throws(() => {
    (config as { a: number }).a = 3;
  }, TypeError);
  assert.throws(() => {
    (config.nested as { b: number }).b = 3;
  }, TypeError);
});

test('readJwtSecret: SECRET_KEY of 32+ characters, and ALGORITHM only HS256', () => {
  const secret = 'x'.repeat(32);
  assert.equal(readJwtSecret(createEnvReader({ SECRET_KEY: secret })), secret);
  assert.equal(readJwtSecret(createEnvReader({ SECRET_KEY: secret, ALGORITHM: 'HS256' })), secret);
  assert.throws(() => readJwtSecret(createEnvReader({})), /SECRET_KEY/);
  assert.throws(() => readJwtSecret(createEnvReader({ SECRET_KEY: 'short' })), /at least 32/);
  assert.throws(() => readJwtSecret(createEnvReader({ SECRET_KEY: secret, ALGORITHM: 'RS256' })), /HS256/);
});

test('postgresUrl percent-encodes user, password and database', () => {
  assert.equal(
    postgresUrl('u@x', 'p/w:d', 'db.host', 5432, 'my db'),
    'postgresql://u%40x:p%2Fw%3Ad@db.host:5432/my%20db',
  );
});
