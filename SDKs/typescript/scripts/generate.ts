// Regenerates the SDK: exports the backend's OpenAPI document to openapi.json, then generates the client into
// src/gen/ with @hey-api/openapi-ts. Both outputs are committed; test/generated.test.ts fails when they are stale.
// Usage: npm run sdk:generate (from the repository root)
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type UserConfig } from '@hey-api/openapi-ts';
import { exportOpenApi } from '../../../backend/src/export-openapi.ts';

export const SDK_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DOCUMENT_PATH = join(SDK_ROOT, 'openapi.json');
export const GENERATED_DIR = join(SDK_ROOT, 'src', 'gen');

export const API_KEY_HEADER = 'X-API-Key';

interface ParameterLike {
  in?: unknown;
  name?: unknown;
  required?: boolean;
}

/**
 * The generator options, shared by the generate script and the staleness test so both produce the same bytes.
 * Everything that could vary between machines is pinned: no tsconfig lookup (it would depend on where the output
 * lands), explicit `.ts` import extensions (our tsconfig uses `allowImportingTsExtensions` and NodeNext), no
 * formatter run, and no log files.
 */
export function generatorConfig(input: string, output: string, quiet = false): UserConfig {
  return {
    input,
    output: {
      path: output,
      clean: true,
      module: { extension: '.ts' },
      tsConfigPath: null,
      postProcess: [],
    },
    logs: { file: false, level: quiet ? 'silent' : 'warn' },
    parser: {
      patch: {
        // The document marks X-API-Key as a required header on every operation (as SelfDB 0.0.5 does). The SDK
        // client sends it as a default header on every request, so in the generated types it becomes optional:
        // callers need not repeat it, yet may still override it per call. openapi.json itself is unchanged.
        operations: (_method, _path, operation) => {
          for (const parameter of (operation.parameters ?? []) as ParameterLike[]) {
            const isApiKey =
              parameter.in === 'header' &&
              typeof parameter.name === 'string' &&
              parameter.name.toLowerCase() === API_KEY_HEADER.toLowerCase();
            if (isApiKey) parameter.required = false;
          }
        },
      },
    },
    plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
  };
}

/** Writes the OpenAPI document to `documentPath` and generates the client from it into `outDir`. */
export async function generateSdk(documentPath: string, outDir: string, quiet = false): Promise<void> {
  await writeFile(documentPath, await exportOpenApi());
  await createClient(generatorConfig(documentPath, outDir, quiet));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await generateSdk(DOCUMENT_PATH, GENERATED_DIR);
  console.log(`wrote ${DOCUMENT_PATH} and ${GENERATED_DIR}`);
}
