// What the first load of the dashboard costs in JavaScript: the entry script of dist/index.html and every module it
// preloads, gzipped (zlib's default level, as a server compresses). Shared by bundle-size.test.ts (the 250 KB
// budget) and bench/dashboard.bench.ts (the figure in bench/README.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** The budget of issue 11: the initial JavaScript stays under 250 KB gzipped. */
export const INITIAL_JS_BUDGET_BYTES = 250 * 1024;

export interface InitialScript {
  path: string;
  bytes: number;
  gzipBytes: number;
}

/** `/assets/x.js` paths of the module entry scripts and modulepreloads of an index.html, in order, once each. */
export function initialScriptPaths(html: string): string[] {
  const paths: string[] = [];
  for (const tag of html.match(/<(?:script|link)\b[^>]*>/gi) ?? []) {
    const isEntry = /^<script/i.test(tag) && /\btype=["']?module\b/i.test(tag);
    const isPreload = /^<link/i.test(tag) && /\brel=["']?modulepreload\b/i.test(tag);
    if (!isEntry && !isPreload) continue;
    const url = /\b(?:src|href)=["']?([^"'\s>]+)/i.exec(tag)?.[1];
    if (url && !/^[a-z]+:|^\/\//i.test(url) && !paths.includes(url)) paths.push(url);
  }
  return paths;
}

/** Every initial script of the built app in `dist`, with its raw and gzipped size. */
export function measureInitialJs(dist: string): {
  scripts: InitialScript[];
  gzipBytes: number;
  bytes: number;
} {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const scripts = initialScriptPaths(html).map((path) => {
    const content = readFileSync(join(dist, path.replace(/^\//, '')));
    return { path, bytes: content.length, gzipBytes: gzipSync(content).length };
  });
  if (scripts.length === 0) throw new Error(`${dist}/index.html loads no module script`);
  return {
    scripts,
    bytes: scripts.reduce((sum, s) => sum + s.bytes, 0),
    gzipBytes: scripts.reduce((sum, s) => sum + s.gzipBytes, 0),
  };
}
