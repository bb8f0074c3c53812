// The sandbox harness: the one program each function's Deno process runs (deno run harness.js). It loads the
// function's module, then runs it once per `run` message, talking to the functions service over stdin/stdout:
// one message per line, each written line starting with MARK so stray output of the function is never taken for
// a message. It holds nothing the function could use to escape: the process's permissions (set by the service
// on the command line) are the sandbox; this file only gives the function 0.0.5's module contract.
//
// Messages in (stdin):  {t:'init', module, env, limits} once, first;
//                       {t:'run', id, request, ctx};  {t:'backend-reply', call, status, headers, bodyBase64} | {t:'backend-reply', call, error}
// Messages out (stdout): {t:'loaded', ok, exports?, error?};  {t:'log', run, level, message, timestamp};
//                       {t:'backend', run, call, path, method, headers, bodyBase64};
//                       {t:'result', id, ok, response?, result?, error?, events}
/* global Deno, TextEncoder, TextDecoder, TextDecoderStream, btoa, atob, Headers, Request, Response */
import { AsyncLocalStorage } from 'node:async_hooks';
import nodeProcess from 'node:process';

const MARK = '\u001eSDB';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// The real writers and readers, taken before any function code runs.
const stdoutWrite = Deno.stdout.write.bind(Deno.stdout);
const stdinReadable = Deno.stdin.readable;
const inspect = Deno.inspect;
const originalConsole = globalThis.console;
const exit = Deno.exit.bind(Deno);

const pending = [];
let flushing = null;
/**
 * Writes one message line. Lines queued while a write is in progress go out together in the next one, so a busy
 * process makes one system call for many messages, and lines are never interleaved.
 */
function send(message) {
  pending.push(`${MARK}${JSON.stringify(message)}\n`);
  flushing ??= (async () => {
    while (pending.length > 0) {
      const bytes = encoder.encode(pending.join(''));
      pending.length = 0;
      let offset = 0;
      while (offset < bytes.length) offset += await stdoutWrite(bytes.subarray(offset));
    }
    flushing = null;
  })();
  return flushing;
}

const runs = new AsyncLocalStorage();
let limits = { maxLogLines: 1000, maxLogLineChars: 8192, maxBodyBytes: 6 * 1024 * 1024, maxEvents: 100 };
let functionEnv = {};
let handler = null;
let moduleUrl = '';

// --- console: every line goes to the run it belongs to (by async context), with its level --------------------

function formatArgs(args) {
  return args
    .map((arg) => (typeof arg === 'string' ? arg : inspect(arg, { depth: 6, colors: false })))
    .join(' ');
}

function log(level, args) {
  const run = runs.getStore();
  if (!run || run.done) return; // output outside a run (module top level, leftovers of a finished run) is dropped
  let message = formatArgs(args);
  if (level === 'info') {
    // 0.0.5 recorded console.log('[ERROR] …') / ('[WARN] …') at those levels.
    if (message.startsWith('[ERROR] ')) level = 'error';
    else if (message.startsWith('[WARN] ')) level = 'warn';
    else if (message.startsWith('[DEBUG] ')) level = 'debug';
  }
  if (run.logs >= limits.maxLogLines) {
    run.droppedLogs++;
    return;
  }
  run.logs++;
  if (message.length > limits.maxLogLineChars) {
    message = `${message.slice(0, limits.maxLogLineChars)}… [truncated ${message.length - limits.maxLogLineChars} characters]`;
  }
  send({ t: 'log', run: run.id, level, message, timestamp: new Date().toISOString() });
}

const LEVELS = { log: 'info', info: 'info', warn: 'warn', error: 'error', debug: 'debug', trace: 'debug' };
const capturedConsole = {};
for (const key of Object.keys(originalConsole)) {
  if (typeof originalConsole[key] !== 'function') continue;
  capturedConsole[key] = (...args) => log(LEVELS[key] ?? 'info', args);
}
capturedConsole.assert = (condition, ...args) => {
  if (!condition) log('error', ['Assertion failed', ...args]);
};
for (const noop of [
  'group',
  'groupCollapsed',
  'groupEnd',
  'time',
  'timeEnd',
  'timeLog',
  'count',
  'countReset',
  'clear',
]) {
  capturedConsole[noop] = () => {};
}
globalThis.console = capturedConsole;

// Direct writes to stdout/stderr are logged too, so they can never break the message stream.
for (const [stream, level] of [
  [Deno.stdout, 'info'],
  [Deno.stderr, 'error'],
]) {
  try {
    stream.write = async (bytes) => {
      log(level, [decoder.decode(bytes).replace(/\n$/, '')]);
      return bytes.length;
    };
    stream.writeSync = (bytes) => {
      log(level, [decoder.decode(bytes).replace(/\n$/, '')]);
      return bytes.length;
    };
  } catch {
    // not writable in this Deno: stray output is ignored by the service (it lacks MARK)
  }
}

// Ending the process would end every other run in it: a function may not (its run fails instead).
const noExit = (name) => () => {
  throw new Error(`${name} is not available in a function: return (or throw) to end the run`);
};
for (const [target, key, name] of [
  [Deno, 'exit', 'Deno.exit()'],
  [nodeProcess, 'exit', 'process.exit()'],
  [nodeProcess, 'abort', 'process.abort()'],
  [nodeProcess, 'reallyExit', 'process.reallyExit()'],
]) {
  try {
    target[key] = noExit(name);
  } catch {
    // not writable in this Deno: the process ends, and its runs fail with "runtime process exited"
  }
}

// A rejection or exception nobody handles must not end the process (and every other run in it with it).
globalThis.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  log('error', ['Unhandled promise rejection:', describeError(event.reason)]);
});
globalThis.addEventListener('error', (event) => {
  event.preventDefault();
  log('error', ['Uncaught exception:', describeError(event.error ?? event.message)]);
});

// --- errors -----------------------------------------------------------------------------------------------------

/** A thrown value as one clear line; Deno's permission errors say "permission denied" (not "run again with…"). */
function describeError(error) {
  let text;
  if (error instanceof Error) {
    const named = error.name && error.name !== 'Error' && !/^\w*Error: /.test(error.message);
    const name = named ? `${error.name}: ` : '';
    text = `${name}${error.message}`;
    if (
      error.name === 'NotCapable' ||
      error.name === 'PermissionDenied' ||
      /Requires \w+ access/.test(error.message)
    ) {
      text = `Permission denied: ${error.message.replace(/,? run again with the --allow-\w+ flag\.?/g, '')}`;
    }
  } else {
    try {
      text = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
    } catch {
      text = String(error);
    }
  }
  // The module's path on the host is nobody's business: it is shown as "function.ts".
  if (moduleUrl) text = text.split(moduleUrl).join('function.ts');
  return text;
}

// --- the module contract ---------------------------------------------------------------------------------------

function base64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text) {
  if (!text) return null;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

class TooLarge extends Error {}

/** Reads a body stream whole, refusing more than `max` bytes. */
async function readCapped(stream, max, what) {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      reader.cancel().catch(() => {});
      throw new TooLarge(`${what} exceeds the ${max} byte limit`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function headersObject(headers) {
  const out = {};
  for (const [key, value] of headers) out[key] = key in out ? `${out[key]}, ${value}` : value;
  return out;
}

function buildRequest(message) {
  const ctx = message.ctx;
  if (ctx.triggerType === 'http' && message.request) {
    const { method, path, headers, bodyBase64 } = message.request;
    const safeHeaders = new Headers();
    for (const [key, value] of Object.entries(headers ?? {})) {
      try {
        safeHeaders.append(key, value);
      } catch {
        // a header Deno refuses is left out
      }
    }
    const bodyless = method === 'GET' || method === 'HEAD';
    return new Request(`http://localhost${path.startsWith('/') ? path : `/${path}`}`, {
      method,
      headers: safeHeaders,
      body: bodyless ? null : fromBase64(bodyBase64),
    });
  }
  const headers = { 'content-type': 'application/json', 'x-trigger-type': ctx.triggerType };
  if (ctx.executionId) headers['x-execution-id'] = ctx.executionId;
  if (ctx.deliveryId) headers['x-delivery-id'] = ctx.deliveryId;
  return new Request('http://localhost/', {
    method: 'POST',
    headers,
    body: JSON.stringify(message.payload === undefined ? null : message.payload),
  });
}

let nextCall = 1;
const pendingCalls = new Map();

function makeContext(run, ctx) {
  async function callBackend(path, init = {}) {
    if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//') || path.includes('\\')) {
      throw new TypeError('callBackend: the path must be an absolute path on the backend, e.g. "/tables/"');
    }
    if (run.done) throw new Error('callBackend: the run is over');
    const request = new Request(`http://backend.invalid${path}`, init);
    const body =
      request.body === null
        ? null
        : await readCapped(request.body, limits.maxBodyBytes, 'callBackend request body');
    const call = nextCall++;
    const reply = new Promise((resolve, reject) => pendingCalls.set(call, { resolve, reject }));
    send({
      t: 'backend',
      run: run.id,
      call,
      path,
      method: request.method,
      headers: headersObject(request.headers),
      bodyBase64: body && body.length ? base64(body) : null,
    });
    const answer = await reply;
    const nullBody =
      answer.status === 204 || answer.status === 205 || answer.status === 304 || request.method === 'HEAD';
    return new Response(nullBody ? null : (fromBase64(answer.bodyBase64) ?? new Uint8Array(0)), {
      status: answer.status,
      headers: answer.headers,
    });
  }

  function emit(event, data) {
    if (typeof event !== 'string' || event.length === 0 || event.length > 255) {
      throw new TypeError('emit: the event name must be a string of 1 to 255 characters');
    }
    if (run.events.length >= limits.maxEvents) {
      throw new Error(`emit: a run may emit at most ${limits.maxEvents} events`);
    }
    const json = JSON.stringify(data === undefined ? null : data);
    if (json.length > limits.maxBodyBytes) throw new Error('emit: the event data is too large');
    run.events.push({ event, data: JSON.parse(json) });
  }

  return Object.freeze({
    env: Object.freeze({ ...functionEnv }),
    user: ctx.user ?? null,
    executionId: ctx.executionId,
    triggerType: ctx.triggerType,
    deliveryId: ctx.deliveryId ?? null,
    callBackend,
    emit,
  });
}

async function runOnce(message) {
  const run = { id: message.id, logs: 0, droppedLogs: 0, events: [], done: false };
  await runs.run(run, async () => {
    let outcome;
    try {
      const request = buildRequest(message);
      const value = await handler(request, makeContext(run, message.ctx));
      if (value instanceof Response) {
        const body = await readCapped(value.body, limits.maxBodyBytes, 'The response body');
        outcome = {
          ok: true,
          response: { status: value.status, headers: headersObject(value.headers), bodyBase64: base64(body) },
          result: null,
        };
      } else {
        let json;
        try {
          json = JSON.stringify(value === undefined ? null : value);
        } catch (err) {
          throw new Error(`The returned value is not JSON: ${describeError(err)}`);
        }
        if (json.length > limits.maxBodyBytes)
          throw new TooLarge(`The returned value exceeds the ${limits.maxBodyBytes} byte limit`);
        const body = encoder.encode(json);
        if (body.length > limits.maxBodyBytes)
          throw new TooLarge(`The returned value exceeds the ${limits.maxBodyBytes} byte limit`);
        outcome = {
          ok: true,
          response: {
            status: 200,
            headers: { 'content-type': 'application/json' },
            bodyBase64: base64(body),
          },
          result: JSON.parse(json),
        };
      }
    } catch (err) {
      outcome = { ok: false, error: describeError(err) };
    }
    if (run.droppedLogs > 0) {
      send({
        t: 'log',
        run: run.id,
        level: 'warn',
        message: `${run.droppedLogs} more log lines dropped (limit ${limits.maxLogLines} per run)`,
        timestamp: new Date().toISOString(),
      });
    }
    run.done = true;
    await send({ t: 'result', id: run.id, ...outcome, events: run.events });
  });
}

// --- the message loop -------------------------------------------------------------------------------------------

function exportsOf(mod) {
  let triggers;
  try {
    triggers = mod.triggers === undefined ? undefined : JSON.parse(JSON.stringify(mod.triggers));
  } catch {
    triggers = { invalid: 'triggers must be JSON data' };
  }
  return {
    hasDefault: typeof mod.default === 'function',
    defaultType: typeof mod.default,
    triggers,
    description: mod.description === undefined ? undefined : mod.description,
    runOnce: mod.runOnce === undefined ? undefined : mod.runOnce,
  };
}

async function load(init) {
  limits = { ...limits, ...init.limits };
  functionEnv = init.env ?? {};
  moduleUrl = init.module;
  let mod;
  try {
    mod = await import(init.module);
  } catch (err) {
    return send({ t: 'loaded', ok: false, error: describeError(err) });
  }
  let exported;
  try {
    exported = exportsOf(mod);
    // description / runOnce must survive JSON: anything else is reported as its type.
    if (exported.description !== undefined && typeof exported.description !== 'string')
      exported.description = { type: typeof exported.description };
    if (exported.runOnce !== undefined && typeof exported.runOnce !== 'boolean')
      exported.runOnce = { type: typeof exported.runOnce };
  } catch (err) {
    return send({ t: 'loaded', ok: false, error: describeError(err) });
  }
  if (exported.hasDefault) handler = mod.default;
  return send({ t: 'loaded', ok: true, exports: exported });
}

async function main() {
  const lines = stdinReadable.pipeThrough(new TextDecoderStream());
  let buffer = '';
  let initialized = false;
  for await (const chunk of lines) {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (!line) continue;
      const message = JSON.parse(line);
      if (!initialized) {
        initialized = true;
        load(message);
      } else if (message.t === 'run') {
        if (!handler) {
          send({
            t: 'result',
            id: message.id,
            ok: false,
            error: 'The module has no default export function',
            events: [],
          });
        } else {
          runOnce(message);
        }
      } else if (message.t === 'backend-reply') {
        const pending = pendingCalls.get(message.call);
        if (!pending) continue;
        pendingCalls.delete(message.call);
        if (message.error) pending.reject(new Error(`callBackend: ${message.error}`));
        else pending.resolve(message);
      }
    }
  }
  // The service closed our stdin (it stopped, or died): nothing may outlive it, not even a function's timers.
  exit(0);
}

main();
