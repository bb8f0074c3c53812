// Bundles the static server into server/dist/serve.js, which `./selfdb.sh start` runs with plain node (no
// TypeScript loader). Run by `npm run build -w frontend` after `vite build`.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

await build({
  entryPoints: [fileURLToPath(new URL('serve.ts', import.meta.url))],
  outfile: fileURLToPath(new URL('dist/serve.js', import.meta.url)),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
});
