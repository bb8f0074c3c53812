// The metrics helper without a server: the token guard, bounded labels, and the Grafana dashboard of docs/ only
// querying metrics the services make.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parsePrometheusText } from '../../scripts/lib/prometheus-text.ts';
import { createMetricsGuard, createServiceMetrics } from './metrics.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

test('the guard: off without a token, only the exact Bearer token allowed', () => {
  assert.equal(createMetricsGuard(null)('Bearer anything'), 'off');
  assert.equal(createMetricsGuard('')('Bearer '), 'off');
  const check = createMetricsGuard('the-right-token-0123');
  assert.equal(check('Bearer the-right-token-0123'), 'allowed');
  assert.equal(check('bearer the-right-token-0123'), 'allowed');
  for (const header of [
    undefined,
    '',
    'Bearer',
    'Bearer the-right-token-012',
    'Basic the-right-token-0123',
  ]) {
    assert.equal(check(header), 'refused', String(header));
  }
  assert.equal(check(['Bearer the-right-token-0123']), 'refused');
});

test('labels stay bounded: no route and odd methods share one series each', async () => {
  const metrics = createServiceMetrics('test');
  for (let i = 0; i < 1000; i++) {
    metrics.observeRequest(null, i % 2 ? 'GET' : `M${i}`, 404, 0.001);
    metrics.observeRequest('/users/me', 'GET', 200 + (i % 3), 0.002);
  }
  const { samples } = parsePrometheusText(await metrics.render());
  const counts = samples.filter((s) => s.name === 'http_requests_total');
  assert.deepEqual(
    counts.map((s) => [s.labels.route, s.labels.method, s.labels.status_class, s.value]).sort(),
    [
      ['/users/me', 'GET', '2xx', 1000],
      ['unmatched', 'GET', '4xx', 500],
      ['unmatched', 'OTHER', '4xx', 500],
    ],
  );
});

test('docs/grafana-dashboard.json has the panels and queries only metrics the services make', () => {
  const dashboard = JSON.parse(read('docs/grafana-dashboard.json')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  const titles = dashboard.panels.map((p) => p.title);
  for (const wanted of [
    /request rate/i,
    /error rate/i,
    /p50/,
    /p95/,
    /p99/,
    /pool/i,
    /realtime sockets/i,
    /deliveries/i,
  ]) {
    assert.ok(
      titles.some((title) => wanted.test(title)),
      String(wanted),
    );
  }
  const sources = [
    'common/src/metrics.ts',
    'backend/src/plugins/metrics.ts',
    'storage/src/metrics.ts',
    'realtime/src/metrics.ts',
  ]
    .map(read)
    .join('\n');
  const made = new Set([...sources.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!));
  const used = dashboard.panels.flatMap((p) =>
    p.targets.flatMap((t) =>
      [
        ...t.expr.matchAll(
          /\b([a-z][a-z_]+_(?:total|seconds|bytes|bucket|sockets|channels|topics|connections|clients))\b/g,
        ),
      ].map((m) => m[1]!),
    ),
  );
  assert.ok(used.length > 10);
  const unknown = used
    .map((name) => name.replace(/_bucket$/, ''))
    .filter((name) => !made.has(name) && !/^(process|nodejs)_/.test(name));
  assert.deepEqual(unknown, []);
  const docs = read('docs/metrics.md');
  for (const name of new Set(used.map((n) => n.replace(/_bucket$/, '')))) {
    if (!/^(process|nodejs)_/.test(name)) assert.ok(docs.includes(name), `${name} is not in docs/metrics.md`);
  }
});
