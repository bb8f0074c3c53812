// The first load's JavaScript budget (issue 11): the built dashboard's entry script and its modulepreloads stay
// under 250 KB gzipped. Heavy parts (the code editor, the schema graph) must stay in chunks loaded on demand.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DASHBOARD_DIST, ensureDashboardBuilt } from '../../scripts/lib/dashboard.ts';
import { INITIAL_JS_BUDGET_BYTES, initialScriptPaths, measureInitialJs } from './bundle-size.ts';

describe('initial JavaScript of the dashboard', { timeout: 600_000 }, () => {
  it('finds the entry script and the modulepreloads of an index.html, not other links or remote URLs', () => {
    const html = `<head>
      <script type="module" crossorigin src="/assets/index-a1.js"></script>
      <link rel="modulepreload" crossorigin href="/assets/vendor-b2.js">
      <link rel="stylesheet" href="/assets/index-c3.css">
      <script src="/legacy.js"></script>
      <link rel="modulepreload" href="https://cdn.example.com/x.js">
      <link rel="modulepreload" href="/assets/vendor-b2.js">
    </head>`;
    assert.deepEqual(initialScriptPaths(html), ['/assets/index-a1.js', '/assets/vendor-b2.js']);
  });

  it('stays under 250 KB gzipped, and the schema graph is not part of it', () => {
    ensureDashboardBuilt();
    const measured = measureInitialJs(DASHBOARD_DIST);
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
    const listing = measured.scripts.map((s) => `${s.path} ${kb(s.gzipBytes)}`).join(', ');
    assert.ok(
      measured.gzipBytes < INITIAL_JS_BUDGET_BYTES,
      `initial JS is ${kb(measured.gzipBytes)} gzipped (budget ${kb(INITIAL_JS_BUDGET_BYTES)}): ${listing}`,
    );
    // The graph is a chunk of its own (React.lazy), and not one the first load fetches.
    const assets = readdirSync(join(DASHBOARD_DIST, 'assets'));
    assert.ok(
      assets.some((name) => /^schema-graph-.*\.js$/.test(name)),
      `no schema-graph chunk in ${assets.join(', ')}`,
    );
    assert.ok(
      measured.scripts.every((s) => !/schema-graph|xyflow|code-editor-view/.test(s.path)),
      `a heavy chunk is loaded up front: ${listing}`,
    );
  });
});
