import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { errnoCode, syncDirectory } from './fs.ts';

test('errnoCode: the code of a file-system error, undefined for anything else', async () => {
  const err = await readFile(join(tmpdir(), 'selfdb-surely-missing-file')).catch((e: unknown) => e);
  assert.equal(errnoCode(err), 'ENOENT');
  assert.equal(errnoCode(new Error('plain')), undefined);
  assert.equal(errnoCode(null), undefined);
});

test('syncDirectory: syncs an existing directory and ignores one it cannot open', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'selfdb-fs-'));
  try {
    await syncDirectory(dir);
    await syncDirectory(join(dir, 'missing'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
