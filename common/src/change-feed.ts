import pg from 'pg';
import type { Logger } from 'pino';
import type { Pool } from './db.ts';
import {
  type ChangeRow,
  isRunningIn,
  readChangesAfter,
  readHead,
  type Snapshot,
  widenXid,
} from './outbox.ts';

export interface ChangeFeedOptions {
  directUrl: string;
  /** Pool the outbox is read through (each read is one statement, so PgBouncer in transaction mode works too). */
  pool: Pool;
  batchSize: number;
  log: Pick<Logger, 'info' | 'warn'>;
  /** Receives committed changes in seq order, each exactly once, synchronously after `position` moved past them. */
  onChanges(changes: ChangeRow[]): void;
  /**
   * Where a reader that keeps its position (the backend's database triggers) starts: a seq it has handled, or null
   * to start at the head as an in-memory reader does. Read on every (re)start of the reading.
   */
  loadPosition?: () => Promise<number | null>;
  /** Keeps the head position found when `loadPosition` had none (before any change is handed out). */
  storeStartPosition?: (position: number) => Promise<void>;
  /**
   * Called with the changes before `position` moves past them and before `onChanges`; the position moves only once
   * it resolves (a reader that persists its position does so here, in one transaction with its own work). When it
   * throws, the same changes come again after a backoff.
   */
  beforeAdvance?: (changes: ChangeRow[]) => Promise<void>;
  /** application_name of the LISTEN connection. */
  listenerName?: string;
  /** How often the outbox is read even without a notification (a safety net; NOTIFY is the normal trigger). */
  fallbackPollMs?: number;
}

/** Transactions that held a lock on the outbox when a gap was seen, and the highest seq visible then. */
interface GapObservation {
  upTo: number;
  writers: bigint[];
}

type PollResult = 'idle' | 'more' | 'blocked';

const LISTEN_CHANNEL = 'selfdb_changes';
const MAX_BACKOFF_MS = 5000;

/**
 * Reads realtime.changes in seq order and hands every committed change to `onChanges` exactly once.
 *
 * Sequence numbers are taken when a change is inserted, not when it commits, so a committed seq can be followed by
 * a smaller one that commits later. Filtering on `txid < xmin` is not enough: a transaction that got its xid early
 * can take a larger seq than a younger one still open. The feed therefore only moves `position` over a contiguous
 * run of seqs, or over a gap once it is known to be final: when the gap is first seen, it records which
 * transactions hold a lock on the outbox (every inserter keeps one until it ends); once none of them is in
 * progress in a later snapshot, whatever they committed is visible, and what is still missing never will be
 * (a rollback, or a sequence jump after a crash).
 *
 * The cost of strict order: a transaction that writes a captured table and stays open holds back later changes
 * until it ends. One LISTEN connection straight to Postgres wakes the feed; it reconnects with backoff and catches
 * up from `position`, which lives in memory only (each process keeps its own; nothing is shared).
 */
export class ChangeFeed {
  /** Every change with seq <= position has been handed out, and no other change <= position can ever commit. */
  position = 0;
  ready = false;
  listening = false;

  private readonly opts: ChangeFeedOptions;
  private listener: pg.Client | null = null;
  private gap: GapObservation | null = null;
  private startup: GapObservation | null = null;
  private running = false;
  private dirty = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private listenTimer: NodeJS.Timeout | null = null;
  private fallbackTimer: NodeJS.Timeout | null = null;
  private pollFailures = 0;
  private listenFailures = 0;
  private gapDelayMs = 5;
  private readyWaiters: Array<() => void> = [];

  constructor(options: ChangeFeedOptions) {
    this.opts = options;
  }

  start(): void {
    void this.connectListener();
    this.kick();
    this.fallbackTimer = setInterval(() => this.kick(), this.opts.fallbackPollMs ?? 1000);
    this.fallbackTimer.unref();
  }

  /** Resolves true once the start position is known (false after `timeoutMs`). */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of [this.retryTimer, this.listenTimer]) if (timer) clearTimeout(timer);
    if (this.fallbackTimer) clearInterval(this.fallbackTimer);
    const listener = this.listener;
    this.listener = null;
    this.listening = false;
    await listener?.end().catch(() => {});
    while (this.running) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** Reads the outbox now, or right after the read in progress. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    void this.loop();
  }

  private later(delayMs: number): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, delayMs);
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      for (;;) {
        if (this.stopped) return;
        this.dirty = false;
        const result = await this.pollOnce();
        this.pollFailures = 0;
        if (result === 'more') continue;
        if (result === 'blocked') {
          this.later(this.gapDelayMs);
          this.gapDelayMs = Math.min(this.gapDelayMs * 2, 200);
        }
        if (!this.dirty) return;
      }
    } catch (err) {
      this.pollFailures++;
      const delay = Math.min(100 * 2 ** Math.min(this.pollFailures, 6), MAX_BACKOFF_MS);
      if (!this.stopped) {
        this.opts.log.warn({ err: (err as Error).message, retryInMs: delay }, 'reading the outbox failed');
      }
      this.later(delay);
    } finally {
      this.running = false;
    }
  }

  /** Whether every transaction that could still fill the gap had ended when `snapshot` was taken. */
  private resolved(observation: GapObservation, snapshot: Snapshot): boolean {
    return observation.writers.every((xid) => !isRunningIn(xid, snapshot));
  }

  /** The transactions that could still fill a gap below `upTo`: the outbox writers read with `snapshot`. */
  private observe(upTo: number, writers: number[], snapshot: Snapshot): GapObservation {
    return { upTo, writers: writers.map((xid) => widenXid(xid, snapshot.xmax)) };
  }

  /** Finds the start position: the highest seq once every change at or below it is final. */
  private async initialize(): Promise<PollResult> {
    if (this.opts.loadPosition && !this.startup) {
      const stored = await this.opts.loadPosition();
      if (stored !== null) {
        this.position = stored;
        this.markReady();
        return 'more';
      }
    }
    const head = await readHead(this.opts.pool);
    if (!this.startup) {
      this.startup = this.observe(head.maxSeq, head.writers, head.snapshot);
      return 'more';
    }
    if (!this.resolved(this.startup, head.snapshot)) return 'blocked';
    if (this.opts.storeStartPosition) await this.opts.storeStartPosition(this.startup.upTo);
    this.position = this.startup.upTo;
    this.startup = null;
    this.markReady();
    return 'more';
  }

  private markReady(): void {
    this.ready = true;
    this.opts.log.info({ position: this.position }, 'change feed ready');
    for (const resolve of this.readyWaiters.splice(0)) resolve();
  }

  private async pollOnce(): Promise<PollResult> {
    if (!this.ready) return this.initialize();
    const { snapshot, rows, writers } = await readChangesAfter(
      this.opts.pool,
      this.position,
      this.opts.batchSize,
    );
    const deliver: ChangeRow[] = [];
    let cursor = this.position;
    let blocked = false;
    for (const row of rows) {
      const contiguous = row.seq === cursor + 1;
      const gapIsFinal =
        this.gap !== null && this.gap.upTo >= row.seq - 1 && this.resolved(this.gap, snapshot);
      if (!contiguous && !gapIsFinal) {
        blocked = true;
        break;
      }
      deliver.push(row);
      cursor = row.seq;
    }
    if (deliver.length > 0) {
      if (this.opts.beforeAdvance) await this.opts.beforeAdvance(deliver);
      this.position = cursor;
      this.gapDelayMs = 5;
      this.opts.onChanges(deliver);
    }
    if (this.gap && this.position >= this.gap.upTo) this.gap = null;
    if (!blocked) return rows.length === this.opts.batchSize ? 'more' : 'idle';
    if (this.gap && !this.resolved(this.gap, snapshot)) return 'blocked';
    // A new gap: note who could still fill it (read along with the rows), then read again with a fresh snapshot (a
    // gap nobody holds, e.g. a rollback, is final on the next read).
    if (!writers) throw new Error('the outbox read found a gap but no writers');
    this.gap = this.observe(rows[rows.length - 1]!.seq, writers, snapshot);
    return 'more';
  }

  private async connectListener(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.opts.directUrl,
      application_name: this.opts.listenerName ?? 'selfdb-realtime-listen',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (this.listener === client) {
        this.listener = null;
        this.listening = false;
      }
      client.end().catch(() => {});
      if (this.stopped) return;
      this.opts.log.warn({ err: err?.message }, 'LISTEN connection lost, reconnecting');
      this.scheduleListen();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      // The payload is the new change's seq: one the feed has already passed needs no read.
      const seq = Number(message.payload);
      if (!(seq <= this.position)) this.kick();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${LISTEN_CHANNEL}`);
      if (this.stopped || lost) {
        await client.end().catch(() => {});
        return;
      }
      this.listener = client;
      this.listening = true;
      this.listenFailures = 0;
      // Whatever committed while nobody listened is read now.
      this.kick();
    } catch (err) {
      onLost(err as Error);
    }
  }

  private scheduleListen(): void {
    if (this.stopped || this.listenTimer) return;
    this.listenFailures++;
    const delay = Math.min(100 * 2 ** Math.min(this.listenFailures - 1, 6), MAX_BACKOFF_MS);
    this.listenTimer = setTimeout(() => {
      this.listenTimer = null;
      void this.connectListener();
    }, delay);
  }
}
