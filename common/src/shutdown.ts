/**
 * Closes a service once on the first SIGTERM or SIGINT and exits 0, or 1 if closing fails or outlasts `graceMs`
 * (a hung connection must not keep a container from stopping). Every service's `server.ts` calls it after listening.
 */
export function closeOnSignals(
  log: { info(message: string): void },
  close: () => Promise<unknown>,
  graceMs = 10_000,
): void {
  let closing = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      log.info(`${signal} received, closing`);
      setTimeout(() => process.exit(1), graceMs).unref();
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}
