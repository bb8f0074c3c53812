import { writeFile } from 'node:fs/promises';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

/** Builds the app (no database, no listening) and returns its OpenAPI document as pretty JSON. */
export async function exportOpenApi(): Promise<string> {
  const placeholder = 'x'.repeat(32);
  const config = loadConfig({
    API_KEY: placeholder,
    SECRET_KEY: placeholder,
    ADMIN_EMAIL: 'a@b.c',
    ADMIN_PASSWORD: placeholder,
  });
  const app = await buildApp(config, { logger: false });
  await app.ready();
  const document = JSON.stringify(app.swagger(), null, 2);
  await app.close();
  return `${document}\n`;
}

// `npm run export-openapi -w backend -- <file>` writes it to a file, or stdout when none is given.
if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2];
  const document = await exportOpenApi();
  if (out) await writeFile(out, document);
  else process.stdout.write(document);
}
