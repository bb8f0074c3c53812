// What a running backup, restore or verification is doing, for GET /backups/progress and the CLI's progress lines.

export type Operation = 'backup' | 'restore' | 'verify';

export interface ProgressSnapshot {
  running: boolean;
  operation: Operation | null;
  phase: string | null;
  filename: string | null;
  started_at: string | null;
  finished_at: string | null;
  bytes_done: number;
  bytes_total: number | null;
  files_done: number;
  files_total: number | null;
  succeeded: boolean | null;
  error: string | null;
}

const IDLE: ProgressSnapshot = {
  running: false,
  operation: null,
  phase: null,
  filename: null,
  started_at: null,
  finished_at: null,
  bytes_done: 0,
  bytes_total: null,
  files_done: 0,
  files_total: null,
  succeeded: null,
  error: null,
};

/** Progress of one operation at a time; after it ends, the last state stays readable until the next starts. */
export class Progress {
  private state: ProgressSnapshot = { ...IDLE };
  /** Called on every phase change (the CLI prints steps from it). */
  onPhase: ((snapshot: ProgressSnapshot) => void) | null = null;

  start(operation: Operation, filename: string | null): void {
    this.state = { ...IDLE, running: true, operation, filename, started_at: new Date().toISOString() };
  }

  /** A new step: counters restart, with totals when they are known. */
  phase(name: string, totals: { bytes?: number | null; files?: number | null } = {}): void {
    Object.assign(this.state, {
      phase: name,
      bytes_done: 0,
      files_done: 0,
      bytes_total: totals.bytes ?? null,
      files_total: totals.files ?? null,
    });
    this.onPhase?.(this.snapshot());
  }

  setFilename(filename: string): void {
    this.state.filename = filename;
  }

  addBytes(bytes: number): void {
    this.state.bytes_done += bytes;
  }

  addFile(): void {
    this.state.files_done += 1;
  }

  finish(error: Error | null): void {
    Object.assign(this.state, {
      running: false,
      finished_at: new Date().toISOString(),
      succeeded: error === null,
      error: error ? error.message : null,
      phase: error ? 'failed' : 'done',
    });
  }

  snapshot(): ProgressSnapshot {
    return { ...this.state };
  }
}
