/**
 * Time ports. The coordinator never reads the wall clock or calls setTimeout itself: it asks a
 * `Clock` and a `Scheduler`, so unit tests drive every timeout (session, rebalance, initial delay,
 * heartbeats of managed members) with `FakeScheduler` and stay deterministic.
 */

export interface Clock {
  nowMs(): number;
}

/** Cancels a scheduled task; calling it after the task ran, or twice, does nothing. */
export type Cancel = () => void;

export interface Scheduler {
  schedule(delayMs: number, task: () => void): Cancel;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

/** The real scheduler: Node timers, unref'd so pending group timeouts never keep a process alive. */
export class TimerScheduler implements Scheduler {
  schedule(delayMs: number, task: () => void): Cancel {
    if (!(delayMs >= 0)) throw new Error(`TimerScheduler: bad delay ${delayMs}`);
    const timer = setTimeout(task, delayMs);
    timer.unref();
    return () => clearTimeout(timer);
  }
}

interface FakeTask {
  readonly dueMs: number;
  readonly sequence: number;
  readonly task: () => void;
  cancelled: boolean;
}

/**
 * A clock and scheduler for tests: time moves only through `advance`, tasks run in due order
 * (ties in scheduling order), and pending promise callbacks are drained after each task, so an
 * async step a task starts (a log append) finishes before the next task runs.
 */
export class FakeScheduler implements Clock, Scheduler {
  private now: number;
  private sequence = 0;
  private tasks: FakeTask[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  schedule(delayMs: number, task: () => void): Cancel {
    if (!(delayMs >= 0)) throw new Error(`FakeScheduler: bad delay ${delayMs}`);
    const entry: FakeTask = { dueMs: this.now + delayMs, sequence: this.sequence++, task, cancelled: false };
    this.tasks.push(entry);
    return () => {
      entry.cancelled = true;
    };
  }

  /** Tasks scheduled and not yet run or cancelled. */
  get pendingCount(): number {
    return this.tasks.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, running every task that falls due, in order. */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new Error(`FakeScheduler: bad advance ${ms}`);
    const until = this.now + ms;
    await flushPromises();
    while (true) {
      const next = this.nextDue(until);
      if (next === undefined) break;
      this.tasks.splice(this.tasks.indexOf(next), 1);
      this.now = next.dueMs;
      next.task();
      await flushPromises();
    }
    this.now = until;
    await flushPromises();
  }

  private nextDue(until: number): FakeTask | undefined {
    this.tasks = this.tasks.filter((t) => !t.cancelled);
    let best: FakeTask | undefined;
    for (const t of this.tasks) {
      if (t.dueMs > until) continue;
      if (best === undefined || t.dueMs < best.dueMs || (t.dueMs === best.dueMs && t.sequence < best.sequence)) best = t;
    }
    return best;
  }
}

/** Lets every queued promise callback (and what those queue in turn) run. */
export async function flushPromises(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
