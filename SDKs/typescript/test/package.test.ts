// The SDK as a package: `npm pack` builds JavaScript with type declarations, and the tarball installs into a plain
// Node 20 project outside the repository, where it runs without any TypeScript loader against a real backend.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ADMIN, API_KEY, startTestApp } from '../../../backend/test/helpers.ts';

const SDK_DIR = fileURLToPath(new URL('..', import.meta.url));

test(
  'npm pack gives a tarball that a plain Node project installs and uses',
  { timeout: 180_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'selfdb-sdk-pack-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const npm = (args: string[], cwd: string) =>
      execFileSync('npm', args, {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, npm_config_audit: 'false' },
      });

    npm(['pack', '--pack-destination', dir, '--silent'], SDK_DIR);
    const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote no tarball');
    const listing = execFileSync('tar', ['-tzf', join(dir, tarball)], { encoding: 'utf8' }).split('\n');
    assert.ok(listing.includes('package/dist/index.js'));
    assert.ok(listing.includes('package/dist/index.d.ts'));
    assert.ok(listing.includes('package/dist/gen/sdk.gen.d.ts'));
    assert.ok(!listing.some((path) => path.startsWith('package/src/')), 'sources are not shipped');
    assert.ok(!listing.some((path) => path.startsWith('package/test/')), 'tests are not shipped');

    const project = join(dir, 'app');
    execFileSync('mkdir', [project]);
    writeFileSync(
      join(project, 'package.json'),
      '{"name":"app","version":"1.0.0","type":"module","private":true}',
    );
    npm(['install', '--offline', '--no-fund', join(dir, tarball)], project);

    const backend = await startTestApp();
    t.after(() => backend.close());
    await backend.app.listen({ host: '127.0.0.1', port: 0 });
    const baseUrl = `http://127.0.0.1:${(backend.app.server.address() as AddressInfo).port}`;
    writeFileSync(
      join(project, 'main.js'),
      `import { createSelfDB, readUsersMe, rowQuery, unwrap } from '@selfdb/sdk';
const db = createSelfDB({ baseUrl: process.argv[2], apiKey: process.argv[3] });
await db.auth.login(process.argv[4], process.argv[5]);
const me = unwrap(await readUsersMe({ client: db.client }));
console.log(JSON.stringify({ email: me.email, query: rowQuery({ filters: [{ column: 'n', op: 'gt', value: 1 }] }) }));
`,
    );
    // A child process without --import tsx: plain Node running the installed JavaScript.
    const output = await run(
      process.execPath,
      ['main.js', baseUrl, API_KEY, ADMIN.email, ADMIN.password],
      project,
    );
    assert.deepEqual(JSON.parse(output), { email: ADMIN.email, query: { n: 'gt.1' } });
  },
);

function run(file: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env: { PATH: process.env.PATH ?? '' } }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}
