// Group commit of HTTP runs. The invoke route answers only once its run is recorded (a record is never lost to a
// crash after the answer), but runs finishing together share one write: while a write is in flight, the runs that
// finish meanwhile wait for the next one, which records all of them (executions, logs, counters: one statement).
// Under load this costs each call at most about two round trips of waiting instead of one transaction each, and
// the function's row takes one counter update per batch instead of one per call.
import type { RuntimeRunResult } from '@selfdb/common';
import type { ExecutionRecord } from './executions.repository.ts';
import type { Runner } from './runner.ts';

interface Pending {
  outcome: { record: ExecutionRecord; events: RuntimeRunResult['events']; depth: number };
  done: (err?: Error) => void;
}

/** Most runs written by one statement. */
const MAX_BATCH = 200;

export function createRecorder(runner: Pick<Runner, 'record'>) {
  let queue: Pending[] = [];
  let writing: Promise<void> | null = null;

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(batch.length);
      try {
        await runner.record(batch.map((p) => p.outcome));
        for (const p of batch) p.done();
      } catch (err) {
        if (batch.length === 1) {
          batch[0]!.done(err as Error);
          continue;
        }
        // One bad run (its function or user deleted meanwhile) must not cost the others their record.
        for (const p of batch) {
          await runner.record([p.outcome]).then(
            () => p.done(),
            (one: Error) => p.done(one),
          );
        }
      }
    }
  }

  return {
    /** Resolves once the run is recorded (rejects when the write failed). */
    record(outcome: Pending['outcome']): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        queue.push({ outcome, done: (err) => (err ? reject(err) : resolve()) });
        if (!writing) {
          writing = drain().finally(() => {
            writing = null;
          });
        }
      });
    },
    /** Resolves once every run handed over so far is written (or failed). */
    async flush(): Promise<void> {
      while (writing) await writing;
    },
  };
}

export type Recorder = ReturnType<typeof createRecorder>;
