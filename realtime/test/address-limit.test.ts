// Sockets per client address (REALTIME_MAX_SOCKETS_PER_ADDRESS): refused with 429 TOO_MANY_CONNECTIONS past the
// limit, counted by the real client address. Straight to the service that is the TCP peer (forged headers are not
// believed); through the backend's proxy it is the address the backend settles on (TRUST_PROXY, as its own rate
// limits), which the proxy signs with the shared SECRET_KEY.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CLIENT_ADDRESS_HEADER, CLIENT_ADDRESS_SIGNATURE_HEADER, signClientAddress } from '@selfdb/common';
import {
  API_KEY,
  createTestDatabase,
  RawClient,
  SECRET_KEY,
  socketUrl,
  startBackendWithRealtime,
  startRealtime,
  type TestRealtime,
  waitUntil,
} from './helpers.ts';

const open: RawClient[] = [];
after(() => {
  for (const client of open) client.close();
});

async function connect(url: string, headers: Record<string, string> = {}): Promise<RawClient> {
  const client = await RawClient.open(url, '2.0.0', headers);
  open.push(client);
  return client;
}

async function expectRefused(url: string, headers: Record<string, string> = {}, max = 3): Promise<void> {
  await assert.rejects(connect(url, headers), (err: { status: number; body: string }) => {
    assert.equal(err.status, 429);
    const body = JSON.parse(err.body) as { detail: string; code: string };
    assert.equal(body.code, 'TOO_MANY_CONNECTIONS');
    assert.match(body.detail, new RegExp(`at most ${max} at once`));
    return true;
  });
}

describe('straight to the service', () => {
  let realtime: TestRealtime;
  before(async () => {
    realtime = await startRealtime(await createTestDatabase(), { REALTIME_MAX_SOCKETS_PER_ADDRESS: '3' });
  });
  after(async () => {
    await realtime?.close();
  });

  test('the 4th socket of an address is refused with 429 and a readable body; closing one frees a slot', async () => {
    const url = socketUrl(realtime.base);
    const sockets = [await connect(url), await connect(url), await connect(url)];
    await expectRefused(url);
    // A refusal that comes first (a wrong key) is still that refusal.
    await assert.rejects(connect(socketUrl(realtime.base, { 'X-API-Key': 'wrong' })), { status: 401 });
    sockets[0]!.close();
    await waitUntil(
      () =>
        connect(url).then(
          () => true,
          () => false,
        ),
      'a slot to come free',
    );
    await expectRefused(url);
    assert.equal((await sockets[1]!.request('phoenix', 'heartbeat')).payload.status, 'ok');
  });

  test('X-Forwarded-For and an unsigned or forged client address are not believed', async () => {
    const url = socketUrl(realtime.base);
    const attempts: Array<Record<string, string>> = [
      { 'X-Forwarded-For': '198.51.100.1' },
      { [CLIENT_ADDRESS_HEADER]: '198.51.100.2' },
      { [CLIENT_ADDRESS_HEADER]: '198.51.100.3', [CLIENT_ADDRESS_SIGNATURE_HEADER]: 'ab'.repeat(32) },
      {
        [CLIENT_ADDRESS_HEADER]: '198.51.100.4',
        [CLIENT_ADDRESS_SIGNATURE_HEADER]: signClientAddress(
          'another-secret-key-of-32-characters!!',
          '198.51.100.4',
        ),
      },
    ];
    for (const headers of attempts) await expectRefused(url, headers);
    // What the backend's proxy sends: a client address signed with SECRET_KEY.
    const vouched = {
      [CLIENT_ADDRESS_HEADER]: '198.51.100.5',
      [CLIENT_ADDRESS_SIGNATURE_HEADER]: signClientAddress(SECRET_KEY, '198.51.100.5'),
    };
    await connect(url, vouched);
  });
});

describe('straight to the service behind a reverse proxy (TRUST_PROXY=true)', () => {
  test('counted per first X-Forwarded-For entry, as the backend reads it', async () => {
    const realtime = await startRealtime(await createTestDatabase(), {
      REALTIME_MAX_SOCKETS_PER_ADDRESS: '1',
      TRUST_PROXY: 'true',
    });
    try {
      const url = socketUrl(realtime.base);
      await connect(url, { 'X-Forwarded-For': '192.0.2.1, 10.0.0.1' });
      await expectRefused(url, { 'X-Forwarded-For': '192.0.2.1' }, 1);
      await connect(url, { 'X-Forwarded-For': '192.0.2.2' });
      // No X-Forwarded-For: the peer.
      await connect(url);
      await expectRefused(url, {}, 1);
    } finally {
      await realtime.close();
    }
  });
});

describe('through the backend proxy', () => {
  const proxied = (port: number) => `ws://127.0.0.1:${port}/realtime/socket?X-API-Key=${API_KEY}&vsn=2.0.0`;

  test('TRUST_PROXY=false: every client counts as its TCP peer, whatever it claims', async () => {
    const stack = await startBackendWithRealtime({ realtime: { REALTIME_MAX_SOCKETS_PER_ADDRESS: '2' } });
    try {
      const url = proxied(stack.backendPort);
      await connect(url, { 'X-Forwarded-For': '203.0.113.1' });
      await connect(url, { 'X-Forwarded-For': '203.0.113.2' });
      await expectRefused(url, { 'X-Forwarded-For': '203.0.113.3' }, 2);
      const forged = signClientAddress(SECRET_KEY, '203.0.113.4');
      await expectRefused(
        url,
        { [CLIENT_ADDRESS_HEADER]: '203.0.113.4', [CLIENT_ADDRESS_SIGNATURE_HEADER]: forged },
        2,
      );
    } finally {
      await stack.close();
    }
  });

  test('TRUST_PROXY=true: counted per client address from X-Forwarded-For, as the backend’s own limits', async () => {
    const stack = await startBackendWithRealtime({
      backend: { TRUST_PROXY: 'true' },
      realtime: { REALTIME_MAX_SOCKETS_PER_ADDRESS: '2' },
    });
    try {
      const url = proxied(stack.backendPort);
      const from = (address: string) => ({ 'X-Forwarded-For': `${address}, 10.0.0.1` });
      await connect(url, from('203.0.113.1'));
      await connect(url, from('203.0.113.1'));
      await expectRefused(url, from('203.0.113.1'), 2);
      // A client's own copy of the proxy's headers is replaced, not forwarded.
      await expectRefused(
        url,
        {
          ...from('203.0.113.1'),
          [CLIENT_ADDRESS_HEADER]: '203.0.113.9',
          [CLIENT_ADDRESS_SIGNATURE_HEADER]: signClientAddress(SECRET_KEY, '203.0.113.9'),
        },
        2,
      );
      const other = await connect(url, from('203.0.113.2'));
      assert.equal((await other.request('phoenix', 'heartbeat')).payload.status, 'ok');
      // IPv6 clients count by /64.
      await connect(url, from('2001:db8:1:2::a'));
      await connect(url, from('2001:db8:1:2::b'));
      await expectRefused(url, from('2001:db8:1:2:ffff::c'), 2);
      await connect(url, from('2001:db8:1:3::a'));
    } finally {
      await stack.close();
    }
  });
});
