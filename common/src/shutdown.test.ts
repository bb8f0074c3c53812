import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

/** Runs closeOnSignals in a child process, sends it SIGTERM once it is ready, and returns its exit code and output. */
function runChild(closeBody: string): Promise<{ code: number | null; output: string }> {
  const script = `
    import { closeOnSignals } from ${JSON.stringify(new URL('./shutdown.ts', import.meta.url).href)};
    closeOnSignals({ info: (m) => console.log(m) }, () => { ${closeBody} }, 200);
    setInterval(() => {}, 1000);
    console.log('ready');
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes('ready') && !child.killed) child.kill('SIGTERM');
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

test('closeOnSignals: a clean close exits 0 after logging the signal', async () => {
  const { code, output } = await runChild('return Promise.resolve();');
  assert.equal(code, 0);
  assert.match(output, /SIGTERM received, closing/);
});

test('closeOnSignals: a failed or hung close exits 1', async () => {
  assert.equal((await runChild('return Promise.reject(new Error("x"));')).code, 1);
  assert.equal((await runChild('return new Promise(() => {});')).code, 1);
});
