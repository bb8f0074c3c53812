import { closeOnSignals, ConfigError } from '@selfdb/common';
import { buildFunctionsApp } from './app.ts';
import { loadFunctionsConfig } from './config.ts';
import { FunctionHost } from './host.ts';
import { findDeno } from './sandbox/deno.ts';

async function main() {
  const config = loadFunctionsConfig();
  const host = await FunctionHost.open(config, findDeno(config.denoBin));
  const app = await buildFunctionsApp(config, host);
  // The functions' processes go first: a run in flight answers at once (failed) instead of holding the close.
  app.addHook('preClose', async () => host.close());
  await app.listen({ host: config.host, port: config.port });
  closeOnSignals(app.log, () => app.close());
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`selfdb functions: ${err.message}`);
  } else {
    console.error('selfdb functions failed to start:', err);
  }
  process.exit(1);
});
