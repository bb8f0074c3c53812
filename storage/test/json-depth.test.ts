// Deeply nested JSON (4,500 and 5,000 levels) never reaches recursive code in the storage service: bodies from
// anyone but the backend are refused before they are parsed, and the backend's own are validated flatly. (The
// backend refuses such bodies from clients before forwarding anything: backend/src/plugins/json-body.ts.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { filesUnder, request, startStorage, type TestStorage } from './helpers.ts';

let storage: TestStorage;
before(async () => {
  storage = await startStorage();
});
after(() => storage.close());

const nestedObject = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const nestedArray = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

test('every JSON route answers 4xx with the error body, with or without the key, and stores nothing', async () => {
  const filesBefore = filesUnder(storage.root);
  const routes = ['/api/v1/buckets', '/api/v1/uploads', '/api/v1/uploads/0123456789abcdef0123/complete'];
  const bodies = [
    nestedObject(4500),
    nestedArray(5000),
    `{"name":${nestedArray(5000)}}`,
    `{"id":"0123456789abcdef0123","bucket":"b","path":"p","length":1,"meta":{"x":${nestedObject(4500)}}}`,
  ];
  for (const url of routes) {
    for (const body of bodies) {
      for (const key of [undefined, null]) {
        const response = await request(storage.app, 'POST', url, {
          body,
          key,
          headers: { 'content-type': 'application/json' },
        });
        const label = `${url} ${key === null ? 'without key' : 'with key'}: ${response.status}`;
        assert.ok(response.status >= 400 && response.status < 500, label);
        assert.equal(typeof response.json.code, 'string', label);
        if (key === null) assert.equal(response.status, 401, label);
      }
    }
  }
  assert.deepEqual(filesUnder(storage.root), filesBefore);
});
