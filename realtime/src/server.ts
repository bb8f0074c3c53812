import { closeOnSignals, ConfigError } from '@selfdb/common';
import { buildRealtime } from './app.ts';
import { loadRealtimeConfig } from './config.ts';

async function main() {
  const config = loadRealtimeConfig();
  const service = buildRealtime(config);
  await new Promise<void>((resolve, reject) => {
    service.server.once('error', reject);
    service.server.listen(config.port, config.host, () => resolve());
  });
  service.log.info({ host: config.host, port: config.port }, 'realtime service listening');

  closeOnSignals(service.log, () => service.close());
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(`selfdb realtime: ${err.message}`);
  else console.error('selfdb realtime failed to start:', err);
  process.exit(1);
});
