import { ConfigError } from '@selfdb/common';
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

  let closing = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      service.log.info(`${signal} received, closing`);
      const force = setTimeout(() => process.exit(1), 10_000);
      force.unref();
      service.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(`selfdb realtime: ${err.message}`);
  else console.error('selfdb realtime failed to start:', err);
  process.exit(1);
});
