// The dashboard's build, shared by the tests that need it (frontend/e2e, scripts/selfdb-sh.test.ts): built once,
// and again only when a source is newer than the build (the same rule `./selfdb.sh start` applies).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const DASHBOARD_DIST = join(REPO, 'frontend/dist');

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** Runs `npm run build -w frontend` unless frontend/dist is newer than every source it is made from. */
export function ensureDashboardBuilt(): void {
  const index = join(DASHBOARD_DIST, 'index.html');
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  const sources = Math.max(
    ...[
      'frontend/src',
      'frontend/public',
      'frontend/index.html',
      'frontend/vite.config.ts',
      'SDKs/typescript/src',
    ].map((path) => newestMtime(join(REPO, path))),
  );
  const server = join(REPO, 'frontend/server/dist/serve.js');
  if (built > sources && existsSync(server)) return;
  const result = spawnSync('npm', ['run', 'build', '-w', 'frontend'], { cwd: REPO, encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`building the dashboard failed:\n${result.stdout}\n${result.stderr}`);
}
