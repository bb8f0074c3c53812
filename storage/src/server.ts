import { closeOnSignals, ConfigError } from '@selfdb/common';
import { buildStorageApp } from './app.ts';
import { LocalObjectStore } from './backends/local.ts';
import { loadConfig } from './config.ts';

const HOUR_MS = 60 * 60 * 1000;

async function main() {
  const config = loadConfig();
  const store = await LocalObjectStore.open(config.root, { minFreeBytes: config.minFreeBytes });
  const app = await buildStorageApp(config, store);
  app.addHook('onClose', async () => store.close());
  await app.listen({ host: config.host, port: config.port });

  // Leftovers of interrupted work (a killed process mid-write, deleted buckets) go in the background.
  const sweep = () => {
    store
      .sweep()
      .then(
        (removed) => removed > 0 && app.log.info(`removed ${removed} leftover temp files or trashed buckets`),
      )
      .catch((err: unknown) => app.log.warn({ err }, 'sweep failed'));
    store
      .deleteExpiredUploads(config.uploadExpiryHours * HOUR_MS)
      .then((removed) => removed > 0 && app.log.info(`removed ${removed} expired resumable uploads`))
      .catch((err: unknown) => app.log.warn({ err }, 'expiring uploads failed'));
  };
  sweep();
  setInterval(sweep, HOUR_MS).unref();

  closeOnSignals(app.log, () => app.close());
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`selfdb storage: ${err.message}`);
  } else {
    console.error('selfdb storage failed to start:', err);
  }
  process.exit(1);
});
