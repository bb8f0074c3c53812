import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { DOCUMENT_PATH, GENERATED_DIR, generateSdk } from '../scripts/generate.ts';

const HINT = 'the committed SDK is stale: run `npm run sdk:generate` and commit the result';

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

let scratch: string;
let freshDocument: string;
let freshDir: string;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'selfdb-sdk-'));
  freshDocument = join(scratch, 'openapi.json');
  freshDir = join(scratch, 'gen');
  await generateSdk(freshDocument, freshDir, true);
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

test('openapi.json matches the document the backend exports', async () => {
  const committed = await readFile(DOCUMENT_PATH, 'utf8').catch(() => '');
  assert.ok(committed === (await readFile(freshDocument, 'utf8')), `openapi.json differs: ${HINT}`);
});

test('src/gen matches what the generator makes from that document', async () => {
  const expected = await listFiles(freshDir);
  const actual = await listFiles(GENERATED_DIR).catch(() => []);
  assert.deepEqual(actual, expected, `the files in src/gen differ: ${HINT}`);
  for (const file of expected) {
    const [mine, fresh] = await Promise.all([
      readFile(join(GENERATED_DIR, file)),
      readFile(join(freshDir, file)),
    ]);
    assert.ok(mine.equals(fresh), `src/gen/${file} differs: ${HINT}`);
  }
});
