// GET /metrics of the functions runtime (docs/metrics.md): deploys and runs counted by route pattern (never the
// function's name), behind METRICS_TOKEN instead of the service key; off (404) without the token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parsePrometheusText, sampleValue } from '../../scripts/lib/prometheus-text.ts';
import { startRuntime, type TestRuntime } from './helpers.ts';

const TOKEN = 'functions-metrics-token-0123456789';

async function scrape(rt: TestRuntime, authorization?: string) {
  return fetch(`${rt.url}/metrics`, { headers: authorization ? { authorization } : {} });
}

describe('functions GET /metrics with METRICS_TOKEN', () => {
  let rt: TestRuntime;
  before(async () => {
    rt = await startRuntime({ env: { METRICS_TOKEN: TOKEN } });
  });
  after(() => rt?.close());

  test('counts deploys and runs by route pattern, with latency histograms', async () => {
    const deployed = await rt.deploy('counted-fn', 'export default () => "ok";');
    assert.equal(deployed.status, 200, JSON.stringify(deployed.json));
    for (let i = 0; i < 3; i++) assert.equal((await rt.run('counted-fn')).status, 200);
    assert.equal((await rt.call('GET', '/functions/counted-fn/nothing-here')).status, 404);

    const response = await scrape(rt, `Bearer ${TOKEN}`);
    assert.equal(response.status, 200);
    const text = await response.text();
    const { samples, types } = parsePrometheusText(text);
    assert.equal(types.get('http_request_duration_seconds'), 'histogram');
    const run = { route: '/functions/:name/run', method: 'POST', status_class: '2xx' };
    assert.equal(sampleValue(samples, 'http_requests_total', run), 3);
    assert.equal(sampleValue(samples, 'http_request_duration_seconds_count', run), 3);
    const deploy = { route: '/functions/:name', method: 'PUT', status_class: '2xx' };
    assert.equal(sampleValue(samples, 'http_requests_total', deploy), 1);
    assert.ok(!text.includes('counted-fn'), 'a function name became a label');
    assert.ok(types.has('process_resident_memory_bytes'));
    assert.ok(samples.every((s) => s.labels.service === 'functions'));
  });

  test('refuses a missing or wrong token with 401, and the service key is not enough', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789abcdef', `Token ${TOKEN}`]) {
      const response = await scrape(rt, authorization);
      assert.equal(response.status, 401, authorization);
      assert.deepEqual(await response.json(), { detail: 'Invalid metrics token', code: 'INVALID_TOKEN' });
    }
    const withKey = (await rt.call('GET', '/metrics')) as { status: number };
    assert.equal(withKey.status, 401);
  });
});

describe('functions GET /metrics without METRICS_TOKEN', () => {
  let rt: TestRuntime;
  before(async () => {
    rt = await startRuntime();
  });
  after(() => rt?.close());

  test('answers 404', async () => {
    const response = await scrape(rt, `Bearer ${TOKEN}`);
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), { detail: 'Not Found', code: 'NOT_FOUND' });
  });
});
