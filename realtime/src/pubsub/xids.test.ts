import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRunningIn, widenXid } from './outbox.repository.ts';

const EPOCH = 2n ** 32n;

test('widenXid puts a 32-bit id in the epoch of the snapshot it is compared with', () => {
  assert.equal(widenXid(1000, 1200n), 1000n);
  assert.equal(widenXid(1300, 1200n), 1300n);
  assert.equal(widenXid(5, 3n * EPOCH + 10n), 3n * EPOCH + 5n);
  // Across an epoch boundary, both ways.
  assert.equal(widenXid(4_294_967_000, 3n * EPOCH + 10n), 2n * EPOCH + 4_294_967_000n);
  assert.equal(widenXid(20, 3n * EPOCH - 100n), 3n * EPOCH + 20n);
});

test('a transaction is running in a snapshot when listed in xip, or at or above xmax (not yet completed)', () => {
  const snapshot = { xmin: 100n, xmax: 110n, xip: new Set([100n, 105n]) };
  assert.equal(isRunningIn(99n, snapshot), false);
  assert.equal(isRunningIn(100n, snapshot), true);
  assert.equal(isRunningIn(104n, snapshot), false);
  assert.equal(isRunningIn(105n, snapshot), true);
  assert.equal(isRunningIn(110n, snapshot), true);
  assert.equal(isRunningIn(500n, snapshot), true);
  // What Postgres reports for a single running transaction: "751:751:" (empty xip).
  assert.equal(isRunningIn(751n, { xmin: 751n, xmax: 751n, xip: new Set() }), true);
});
