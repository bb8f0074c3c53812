import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Actor, canManage, canRead, canWriteContent, type OwnedResource } from './access.ts';

const owner: Actor = { id: 'o', role: 'USER' };
const other: Actor = { id: 'x', role: 'USER' };
const admin: Actor = { id: 'a', role: 'ADMIN' };
const publicOne: OwnedResource = { public: true, owner_id: 'o' };
const privateOne: OwnedResource = { public: false, owner_id: 'o' };

test('the access rule as a table: (actor × public/private) × (read, write content, manage)', () => {
  const rows: [Actor | null, OwnedResource, boolean, boolean, boolean][] = [
    [null, publicOne, true, false, false],
    [null, privateOne, false, false, false],
    [other, publicOne, true, true, false],
    [other, privateOne, false, false, false],
    [owner, publicOne, true, true, true],
    [owner, privateOne, true, true, true],
    [admin, publicOne, true, true, true],
    [admin, privateOne, true, true, true],
  ];
  for (const [actor, resource, read, write, manage] of rows) {
    const who = `${actor?.id ?? 'anonymous'} on ${resource.public ? 'public' : 'private'}`;
    assert.equal(canRead(actor, resource), read, `read: ${who}`);
    assert.equal(canWriteContent(actor, resource), write, `write: ${who}`);
    assert.equal(canManage(actor, resource), manage, `manage: ${who}`);
  }
  assert.equal(canManage(other, { public: false, owner_id: null }), false, 'ownerless: admins only');
});
