import { ConfigError } from '@selfdb/common';
import { loadConfig } from './config.ts';
import { MigrationError } from './db/migrate.ts';
import { prepareDatabase } from './prepare-database.ts';

// `./selfdb.sh migrate`: apply pending migrations (and seed the admin) without starting the server.
try {
  await prepareDatabase(loadConfig(), { info: (message) => console.log(message) });
} catch (err) {
  if (!(err instanceof ConfigError || err instanceof MigrationError)) throw err;
  console.error(`selfdb migrate: ${err.message}`);
  process.exit(1);
}
