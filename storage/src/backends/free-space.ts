import { statfs } from 'node:fs/promises';
import { ERRORS } from '@selfdb/common';

/** How far ahead of its bytes a write of unknown length claims space: one statfs per this many bytes at most. */
const CLAIM_STEP_BYTES = 8 * 1024 * 1024;

/**
 * Keeps the byte store's volume above a free-space reserve (STORAGE_MIN_FREE_MB). Every write claims its space
 * before its bytes land: all of it up front when its size is known, in steps while it streams otherwise. Claims of
 * writes in progress (not yet on disk) count against the free space statfs reports, and claims are granted one at a
 * time, so concurrent uploads cannot together eat into the reserve. With a reserve of 0 a write is still refused
 * (507) when it cannot fit, rather than failing with ENOSPC halfway.
 */
export class FreeSpace {
  /** Bytes claimed by writes in progress and not written yet. */
  private outstanding = 0;
  /** Claims are granted in turn: each sees the free space with every earlier claim counted. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly root: string,
    readonly reserveBytes: number,
  ) {}

  private async freeBytes(): Promise<number> {
    const stats = await statfs(this.root);
    return Number(stats.bavail) * Number(stats.bsize);
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.queue.then(work, work);
    this.queue = turn.catch(() => {});
    return turn;
  }

  /** Fails with 507 unless `bytes` more can be written now and leave the reserve free. Claims nothing. */
  assertRoomFor(bytes: number): Promise<void> {
    return this.inTurn(async () => {
      if ((await this.freeBytes()) - this.outstanding - bytes < this.reserveBytes) {
        throw ERRORS.insufficientStorage(this.reserveBytes);
      }
    });
  }

  /** A claim for one write of at most `maxBytes`; `release()` it when the write is over, whatever the outcome. */
  claim(maxBytes = Number.POSITIVE_INFINITY): SpaceClaim {
    return new SpaceClaim(this, maxBytes);
  }

  /** Grows `claim` so that it covers `total` bytes (more when `wanted` fits), or fails with 507. */
  grow(claim: { claimed: number; written: number }, total: number, wanted: number): Promise<number> {
    return this.inTurn(async () => {
      const free = (await this.freeBytes()) - this.outstanding;
      // The claim's own outstanding bytes are already counted in `outstanding`: only the growth is new.
      const fits = (size: number) => free - (size - claim.claimed) >= this.reserveBytes;
      const granted = fits(wanted) ? wanted : fits(total) ? total : null;
      if (granted === null) throw ERRORS.insufficientStorage(this.reserveBytes);
      this.outstanding += granted - claim.claimed;
      return granted;
    });
  }

  /** `bytes` of a claim were written (or given back): they no longer count as outstanding. */
  settle(bytes: number): void {
    this.outstanding -= bytes;
  }
}

/** The space one write holds on the volume: `claimed` bytes, of which `written` have been written. */
export class SpaceClaim {
  claimed = 0;
  written = 0;
  private released = false;

  constructor(
    private readonly space: FreeSpace,
    private readonly maxBytes: number,
  ) {}

  /** Claims `bytes` up front (a write whose size is known): 507 before anything is written when they do not fit. */
  async reserve(bytes: number): Promise<void> {
    if (bytes > this.claimed) this.accept(await this.space.grow(this, bytes, bytes));
  }

  /** Takes a grown claim, or gives it straight back when the write ended while it was being granted. */
  private accept(granted: number): boolean {
    if (this.released) {
      this.space.settle(granted - this.claimed);
      return false;
    }
    this.claimed = granted;
    return true;
  }

  /**
   * Accounts for `bytes` about to be written. Returns null when the claim covers them already (the common case,
   * without a promise), else a promise that settles once the claim has grown (or fails with 507).
   */
  take(bytes: number): Promise<void> | null {
    const total = this.written + bytes;
    if (total <= this.claimed) {
      this.written = total;
      this.space.settle(bytes);
      return null;
    }
    const wanted = Math.min(Math.max(total, this.claimed + CLAIM_STEP_BYTES), Math.max(this.maxBytes, total));
    return this.space.grow(this, total, wanted).then((granted) => {
      if (!this.accept(granted)) return;
      this.written = total;
      this.space.settle(bytes);
    });
  }

  /** Gives back what was claimed and not written; idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.space.settle(this.claimed - this.written);
  }
}
