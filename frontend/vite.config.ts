// Builds the dashboard to dist/ (static files; served by server/serve.ts natively, by Caddy in production).
// Nothing instance-specific is baked in: the API URL and key come from /config.json at run time.
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv, type Plugin } from 'vite';

/** `npm run dev` only: /config.json from the repository's .env, as the dashboard server makes it. */
function devRuntimeConfig(apiKey: string): Plugin {
  return {
    name: 'selfdb-dev-runtime-config',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use('/config.json', (_request, response) => {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ apiUrl: '/api', apiKey }));
      });
    },
  };
}

export default defineConfig(({ mode }) => ({
  plugins: [react(), tailwindcss(), devRuntimeConfig(loadEnv(mode, '..', '').API_KEY ?? '')],
  resolve: {
    // @selfdb/sdk's TypeScript sources (its package exports them under this condition), so the SDK need not be
    // built before the dashboard.
    conditions: ['@selfdb/source'],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // Hashed names under assets/ are cached for a year by the server; index.html and config.json never are.
    assetsDir: 'assets',
  },
  server: {
    port: 5173,
    // `npm run dev -w frontend` with SelfDB running natively: /api goes to the backend as in production.
    proxy: {
      '/api': {
        target: 'http://127.0.0.1:8000',
        rewrite: (path) => path.replace(/^\/api/, ''),
        ws: true,
      },
    },
  },
}));
