// The documents users rely on stay true: every error code is listed, every config variable is in .env.example
// (scripts/compose.test.ts checks docs/ENVS.md).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ErrorCode } from '@selfdb/common';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

test('docs/ERROR_CODES.md lists exactly the codes of ErrorCode', () => {
  const documented = [...read('docs/ERROR_CODES.md').matchAll(/^\| `([A-Z_]+)`\s*\|/gm)].map((m) => m[1]);
  assert.deepEqual([...documented].sort(), Object.values(ErrorCode).sort());
});

test('every variable the backend config reads is in .env.example (advanced ones commented out)', () => {
  const names = [
    ...read('backend/src/config.ts').matchAll(/read\.(?:string|int|bool|list|raw)\(\s*'([A-Z_]+)'/g),
  ];
  assert.ok(names.length > 20, 'found the variables');
  const example = read('.env.example');
  for (const [, name] of names)
    assert.match(example, new RegExp(`^(# )?${name}=`, 'm'), `.env.example has ${name}`);
});
