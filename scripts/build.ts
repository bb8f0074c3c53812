// Bundles each long-running service into <service>/dist/server.js, the file production runs (the Docker images and
// `./selfdb.sh start`): plain JavaScript, so no TypeScript loader stays in memory. Run through tsx, a service
// carries tsx's loader thread and its transformed sources: about 100 MB more RSS for the backend, 25 MB for the
// others. Workspace packages (@selfdb/*) are bundled in; every other package stays an import from node_modules.
// The bundle sits beside src/, so the paths the code resolves from import.meta.url (../package.json,
// ../../database/migrations) point where they point from the sources. Tests and the CLIs keep running the sources.
//
// Usage: node --import tsx scripts/build.ts [backend|storage|realtime|functions ...]   (default: all; ~0.2 s)
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

export const SERVICES = ['backend', 'storage', 'realtime', 'functions'] as const;
export type Service = (typeof SERVICES)[number];

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Leaves third-party packages to node_modules (native addons, wasm and data files stay where they expect). */
const packagesStayExternal: Plugin = {
  name: 'packages-stay-external',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@selfdb/') ? undefined : { path: args.path, external: true },
    );
  },
};

/**
 * V8 flags each service runs with (Dockerfile CMD, scripts/native/native.sh, benches; scripts/compose.test.ts and
 * scripts/selfdb-sh.test.ts check they agree). The backend's young generation is capped at 2 MB per semi-space
 * (V8's default grows to 16 MB): under 1,000 requests/s its RSS stays ~30 MB lower for ~3% fewer requests/s.
 */
export const NODE_FLAGS: Readonly<Record<Service, readonly string[]>> = {
  backend: ['--max-semi-space-size=2'],
  storage: [],
  realtime: [],
  functions: [],
};

/**
 * Environment each service runs with (Dockerfile ENV, scripts/native/native.sh, benches; checked by the same
 * tests). glibc malloc keeps memory that per-request socket buffers freed, and by default raises its trim threshold
 * as it goes: under 1,500 small downloads/s the backend peaked at 230-270 MiB. A fixed 128 KiB trim threshold and
 * two arenas hand it back: peak 164-188 MiB, same requests/s (npm run bench:storage).
 */
export const RUNTIME_ENV: Readonly<Record<Service, Readonly<Record<string, string>>>> = {
  backend: { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072' },
  storage: {},
  realtime: {},
  functions: {},
};

/** The bundle `node` runs for a service. */
export const bundlePath = (service: Service) => `${repoRoot}${service}/dist/server.js`;

export async function buildServices(services: readonly Service[] = SERVICES): Promise<void> {
  await Promise.all(
    services.map((service) =>
      build({
        entryPoints: [`${repoRoot}${service}/src/server.ts`],
        outfile: bundlePath(service),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        sourcemap: true,
        plugins: [packagesStayExternal],
        logLevel: 'warning',
      }),
    ),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(
      'Usage: node --import tsx scripts/build.ts [backend|storage|realtime|functions ...]\n' +
        'Bundles each service (default: all) into <service>/dist/server.js, which production runs with `node`.',
    );
    process.exit(0);
  }
  const unknown = args.filter((arg) => !(SERVICES as readonly string[]).includes(arg));
  if (unknown.length > 0) {
    console.error(`Unknown service: ${unknown.join(', ')} (expected: ${SERVICES.join(', ')})`);
    process.exit(2);
  }
  const started = Date.now();
  const services = args.length > 0 ? (args as Service[]) : SERVICES;
  await buildServices(services);
  console.log(`Built ${services.map((s) => `${s}/dist/server.js`).join(', ')} in ${Date.now() - started} ms`);
}
