// The OpenAPI document passes a maintained linter (@redocly/cli, recommended rules; backend/redocly.yaml says which
// rules are off and why) with zero errors: exported from the app as served at /openapi.json, then linted.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exportOpenApi } from '../src/export-openapi.ts';

const backend = dirname(dirname(fileURLToPath(import.meta.url)));

test('the OpenAPI document lints with zero errors', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfdb-openapi-lint-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, await exportOpenApi());
    const cli = join(
      dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')),
      'bin',
      'cli.js',
    );
    const result = spawnSync(
      process.execPath,
      [cli, 'lint', '--config', join(backend, 'redocly.yaml'), '--format', 'stylish', file],
      {
        encoding: 'utf8',
        timeout: 100_000,
        // No telemetry, no update check: the lint runs offline.
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', CI: 'true' },
      },
    );
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.status, 0, `redocly lint failed:\n${output}`);
    assert.doesNotMatch(output, /\berror\b/i, output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
