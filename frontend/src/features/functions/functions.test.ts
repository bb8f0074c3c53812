import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  canRetryDelivery,
  describeTrigger,
  envRow,
  envRowsOf,
  envVarsOf,
  formatBody,
  formatDuration,
  generateSecret,
  hasHttpTrigger,
  httpMethods,
  invokeBody,
  type LogLine,
  logsOfExecution,
  sameEnvVars,
  statusTone,
  webhookUrl,
} from './functions.ts';

test('env var rows become env_vars, refusing a nameless value and a name given twice', () => {
  const rows = envRowsOf({ B: '2', A: '1', N: 3 });
  assert.deepEqual(
    rows.map((r) => [r.name, r.value]),
    [
      ['A', '1'],
      ['B', '2'],
      ['N', '3'],
    ],
  );
  assert.deepEqual(envVarsOf([envRow(' KEY ', 'v'), envRow('', ''), envRow('EMPTY', '')]), {
    KEY: 'v',
    EMPTY: '',
  });
  assert.throws(() => envVarsOf([envRow('', 'orphan')]), /needs a name/);
  assert.throws(() => envVarsOf([envRow('A', '1'), envRow('A ', '2')]), /A is given twice/);
  // A name such as __proto__ is an ordinary key, not the prototype.
  assert.deepEqual(Object.keys(envVarsOf([envRow('__proto__', 'x')])), ['__proto__']);
  assert.equal(sameEnvVars({ a: '1' }, { a: '1' }), true);
  assert.equal(sameEnvVars({ a: '1' }, { a: '2' }), false);
  assert.equal(sameEnvVars({ a: '1' }, { a: '1', b: '' }), false);
});

test('triggers read as short text; HTTP methods follow what the deployed version declares', () => {
  assert.equal(describeTrigger({ type: 'http' }), 'HTTP');
  assert.equal(describeTrigger({ type: 'http', method: ['GET', 'POST'] }), 'HTTP GET, POST');
  assert.equal(describeTrigger({ type: 'http', method: 'PUT' }), 'HTTP PUT');
  assert.equal(describeTrigger({ type: 'schedule', cron: '*/5 * * * *' }), 'Schedule */5 * * * *');
  assert.equal(
    describeTrigger({ type: 'database', table: 'orders', operations: ['INSERT', 'UPDATE'] }),
    'Database orders (INSERT, UPDATE)',
  );
  assert.equal(describeTrigger({ type: 'event', event: 'order.paid' }), 'Event order.paid');
  assert.equal(describeTrigger({ type: 'webhook' }), 'Webhook');
  assert.equal(describeTrigger({ type: 'once' }), 'Once');
  assert.equal(hasHttpTrigger([{ type: 'schedule', cron: '* * * * *' }]), false);
  assert.equal(hasHttpTrigger([{ type: 'http' }]), true);
  assert.deepEqual(httpMethods([{ type: 'http' }]), ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
  assert.deepEqual(httpMethods([{ type: 'http', method: ['post', 'GET'] }, { type: 'once' }]), [
    'GET',
    'POST',
  ]);
  assert.deepEqual(httpMethods([{ type: 'event', event: 'x' }]), []);
});

test('statuses get a colour; URLs escape the token; bodies and durations read well', () => {
  assert.equal(statusTone('deployed'), 'emerald');
  assert.equal(statusTone('pending'), 'amber');
  assert.equal(statusTone('failed'), 'red');
  assert.equal(statusTone('timeout'), 'red');
  assert.equal(statusTone('undeployed'), 'zinc');
  assert.equal(
    webhookUrl('https://db.example.com/api/', 'a-b_c'),
    'https://db.example.com/api/webhooks/trigger/a-b_c',
  );
  assert.equal(webhookUrl('http://x/api', 'a/b?c'), 'http://x/api/webhooks/trigger/a%2Fb%3Fc');
  assert.equal(invokeBody('GET', '{"a":1}'), undefined);
  assert.equal(invokeBody('POST', '  '), undefined);
  assert.equal(invokeBody('POST', '{"a":1}'), '{"a":1}');
  assert.throws(() => invokeBody('POST', '{a:1}'), /not JSON/);
  assert.equal(formatBody('{"a":1}'), '{\n  "a": 1\n}');
  assert.equal(formatBody('<b>hi</b>'), '<b>hi</b>');
  assert.equal(formatBody({ detail: 'x' }), '{\n  "detail": "x"\n}');
  assert.equal(formatBody(undefined), '');
  assert.equal(formatDuration(null), '');
  assert.equal(formatDuration(12.4), '12 ms');
  assert.equal(formatDuration(1534), '1.53 s');
  assert.equal(formatDuration(65_000), '65.0 s');
});

test('a generated secret is 64 hex characters from 32 random bytes', () => {
  assert.match(generateSecret(), /^[0-9a-f]{64}$/);
  assert.notEqual(generateSecret(), generateSecret());
  assert.equal(
    generateSecret((b) => b.fill(0xab)),
    'ab'.repeat(32),
  );
});

test('a delivery can be retried once it has finished, unless its signature failed', () => {
  assert.equal(canRetryDelivery({ status: 'completed', signature_valid: true }), true);
  assert.equal(canRetryDelivery({ status: 'failed', signature_valid: null }), true);
  assert.equal(canRetryDelivery({ status: 'failed', signature_valid: false }), false);
  for (const status of ['queued', 'executing', 'retry_pending']) {
    assert.equal(canRetryDelivery({ status, signature_valid: true }), false);
  }
});

test("an execution's log lines are gathered from the newest-first pages until they predate its start", async () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  const line = (id: number, execution: string, second: number): LogLine => ({
    id: String(id),
    execution_id: execution,
    log_level: 'info',
    message: `line ${id}`,
    timestamp: at(second),
  });
  // Newest first: run B (seconds 50..40), then run A (30..20), then older runs.
  const all: LogLine[] = [];
  for (let s = 50; s >= 40; s--) all.push(line(s, 'B', s));
  for (let s = 30; s >= 20; s--) all.push(line(s, 'A', s));
  for (let s = 19; s >= 0; s--) all.push(line(s, 'old', s));
  const offsets: number[] = [];
  const fetchPage = async (offset: number, limit: number) => {
    offsets.push(offset);
    return { logs: all.slice(offset, offset + limit), total: all.length };
  };
  const a = await logsOfExecution({ id: 'A', started_at: at(20) }, fetchPage, 5);
  assert.equal(a.complete, true);
  assert.deepEqual(
    a.lines.map((l) => l.message),
    Array.from({ length: 11 }, (_, i) => `line ${20 + i}`),
  );
  // It stopped at the first page holding lines older than A's start (offset 20 reaches second 19).
  assert.deepEqual(offsets, [0, 5, 10, 15, 20]);

  offsets.length = 0;
  const capped = await logsOfExecution({ id: 'A', started_at: at(20) }, fetchPage, 5, 2);
  assert.equal(capped.complete, false);
  assert.deepEqual(offsets, [0, 5]);

  const none = await logsOfExecution({ id: 'Z', started_at: at(0) }, fetchPage, 100);
  assert.deepEqual(none, { lines: [], complete: true });
});
