import { closeOnSignals, ConfigError } from '@selfdb/common';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { MigrationError } from './db/migrate.ts';
import { startTablesMaintenance } from './modules/tables/maintenance.ts';
import { prepareDatabase } from './prepare-database.ts';

async function main() {
  const config = loadConfig();
  const app = await buildApp(config);
  if (config.runMigrations) await prepareDatabase(config, app.log);
  await app.listen({ host: config.host, port: config.port });
  // Outbox pruning and row-count folding (REALTIME_PRUNE_INTERVAL_SECONDS); not in buildApp, so tests stay quiet.
  const maintenance = startTablesMaintenance(config, app.log);

  closeOnSignals(app.log, () => Promise.all([maintenance.stop(), app.close()]));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof MigrationError) {
    console.error(`selfdb backend: ${err.message}`);
  } else {
    console.error('selfdb backend failed to start:', err);
  }
  process.exit(1);
});
