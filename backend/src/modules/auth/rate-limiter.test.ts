import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from './rate-limiter.ts';

test('allows `limit` hits per window per key, then says how long to wait', () => {
  const limiter = new RateLimiter(2, 10_000);
  assert.equal(limiter.hit('a', 0), 0);
  assert.equal(limiter.hit('a', 1000), 0);
  assert.equal(limiter.hit('a', 2000), 8);
  assert.equal(limiter.hit('b', 2000), 0, 'keys are independent');
  assert.equal(limiter.hit('a', 10_000), 0, 'a new window starts');
});

test('memory stays bounded under a flood of distinct keys', () => {
  const limiter = new RateLimiter(1, 60_000, 100);
  for (let i = 0; i < 10_000; i++) limiter.hit(`key-${i}`, 0);
  const size = (limiter as unknown as { windows: Map<string, unknown> }).windows.size;
  assert.ok(size <= 100, `size ${size}`);
});
