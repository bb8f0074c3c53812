// Runs the dashboard's static server: `node frontend/server/dist/serve.js` (bundled by `npm run build -w frontend`),
// or `npm run serve -w frontend` from the sources. Serves frontend/dist on FRONTEND_HOST:FRONTEND_PORT.
import { fileURLToPath } from 'node:url';
import { loadDashboardConfig } from './config.ts';
import { createDashboardServer } from './app.ts';

// The bundle lives in server/dist/, the sources in server/: both find the app in frontend/dist.
const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL(here.endsWith('/dist/') ? '../../dist/' : '../dist/', import.meta.url));

const config = loadDashboardConfig(process.env, root);
const server = createDashboardServer(config);
server.listen(config.port, config.host, () => {
  console.log(`SelfDB dashboard on http://${config.host}:${config.port} (API: ${config.apiUrl})`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
