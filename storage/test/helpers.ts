// A storage service for tests: the real app on a real temp directory (and a real port when a test needs one).
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildStorageApp } from '../src/app.ts';
import { LocalObjectStore, type LocalStoreOptions } from '../src/backends/local.ts';

export const KEY = 'storage-test-key-0123456789abcdef0123456789';

export interface TestStorage {
  app: FastifyInstance;
  store: LocalObjectStore;
  root: string;
  /** Listens on a free port of 127.0.0.1 (once) and returns it. */
  listen(): Promise<number>;
  /** Stops the service, keeping its files (a storage service that is down); idempotent. */
  stop(): Promise<void>;
  /** Stops the service and removes its temp directory. */
  close(): Promise<void>;
}

/** The storage service on a fresh temp directory, expecting `serviceKey` (the backend's tests pass theirs). */
export async function startStorage(
  serviceKey = KEY,
  options: LocalStoreOptions = {},
  metricsToken: string | null = null,
): Promise<TestStorage> {
  const root = mkdtempSync(join(tmpdir(), 'selfdb-storage-test-'));
  const store = await LocalObjectStore.open(root, options);
  const app = await buildStorageApp({ serviceKey, logLevel: 'warn', metricsToken }, store, { logger: false });
  let port: number | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
    await store.close();
  };
  return {
    app,
    store,
    root,
    async listen() {
      if (port === undefined) {
        await app.listen({ host: '127.0.0.1', port: 0 });
        port = (app.server.address() as AddressInfo).port;
      }
      return port;
    },
    stop,
    async close() {
      await stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** One request through `inject`, with the service key unless `key: null`. */
export async function request(
  app: FastifyInstance,
  method: string,
  url: string,
  options: { body?: Buffer | string | object; headers?: Record<string, string>; key?: string | null } = {},
) {
  const response = await app.inject({
    method: method as 'GET',
    url,
    headers: { ...(options.key === null ? {} : { 'x-storage-key': options.key ?? KEY }), ...options.headers },
    ...(options.body === undefined ? {} : { payload: options.body }),
  });
  let json: Record<string, unknown> = {};
  try {
    json = response.json();
  } catch {
    // a byte body
  }
  return { status: response.statusCode, headers: response.headers, bytes: response.rawPayload, json };
}

/** Every file under `root`, relative, hidden ones included. */
export function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else found.push(relative(root, path));
    }
  };
  walk(root);
  return found.sort();
}

/**
 * Sends a request head announcing `declared` bytes, then only `sent` bytes, then drops the connection: a client
 * killed mid-upload. Resolves once the socket is closed.
 */
export function sendAndDrop(port: number, head: string, sent: Buffer, afterMs = 100): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(head);
      socket.write(sent);
      setTimeout(() => socket.destroy(), afterMs);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 3000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A request over a real socket with the path sent exactly as given: WHATWG URL parsing (fetch, inject) would
 * resolve `%2e%2e` segments before sending, hiding what a hostile client can send.
 */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  options: { body?: Buffer | string; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path, headers: { 'x-storage-key': KEY, ...options.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, json, text });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
