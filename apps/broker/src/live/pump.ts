import type { PartitionLog } from '@runnel/storage';
import type { RecordFormat } from '../core/record-format';
import { SEND_BUFFER_HIGH_WATER_BYTES } from './constants';
import type { LiveCore } from './live-core.service';
import type { LiveChunk } from './live-reader';

/** One partition a stream delivers: where it is and where its records go. */
export interface Feed {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  readonly format: RecordFormat;
  /** The next offset to deliver. */
  position: bigint;
  /** False once the feed is removed (unsubscribed, revoked, closed): a read in flight is dropped. */
  active: boolean;
  /** Writes the chunk to the client; the pump then moves `position` to chunk.nextOffset. */
  deliver(chunk: LiveChunk): void;
  /** The read failed (topic deleted, log closed); the feed is dropped by the owner. */
  failed(error: unknown): void;
}

/** What a pump corks and waits on: a socket or an SSE response (both emit 'drain' and 'close'). */
export interface SinkStream {
  cork(): void;
  uncork(): void;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/** Where a pump writes: a WebSocket or an SSE response. */
export interface Sink {
  /** Corked around a burst of writes; its 'drain' (or 'close') resumes a full sink. */
  readonly stream: SinkStream;
  /** Bytes queued on the socket and not yet sent. */
  bufferedBytes(): number;
  readonly closed: boolean;
}

/** Calls `listener` once, at the first 'drain' or 'close' of `stream`. */
function onceDrainedOrClosed(stream: SinkStream, listener: () => void): void {
  const fire = (): void => {
    stream.off('drain', fire);
    stream.off('close', fire);
    listener();
  };
  stream.on('drain', fire);
  stream.on('close', fire);
}

/**
 * Moves records from the logs to one client at the client's pace.
 *
 * Woken by append notifications (never by a timer), it reads each feed whose position is below
 * its log's high watermark, one read per feed per round (round-robin, so one busy partition does
 * not starve the others), and writes them corked: a burst of frames leaves in as few TCP writes as
 * possible. When the socket's queue rises above the high-water mark it stops reading and waits for
 * 'drain': a client that does not read only lags, it never grows the server's memory by more than
 * the high-water mark plus one read.
 */
export class Pump {
  private running = false;
  private again = false;
  private waitingForDrain = false;

  constructor(
    private readonly core: Pick<LiveCore, 'reader' | 'logger'>,
    private readonly sink: Sink,
    private readonly feeds: () => Iterable<Feed>,
  ) {}

  /** Something changed (an append, a new feed, a drain): deliver what is due. */
  wake(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.waitingForDrain || this.sink.closed) return;
    this.running = true;
    // Right after the current callback. Appends reach the log's listeners from its end-of-turn write
    // (one callback per gathered write), so every append of the turn has been notified by then and
    // leaves in one frame per subscriber; a setImmediate here would wait for the next loop turn.
    queueMicrotask(() => {
      this.run().catch((error: unknown) => {
        // A bug, not an operating error (reads report theirs through feed.failed): stop this
        // client's pump loudly rather than take the broker down with an unhandled rejection.
        this.running = false;
        this.core.logger.error(`live pump stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      });
    });
  }

  private full(): boolean {
    return this.sink.bufferedBytes() > SEND_BUFFER_HIGH_WATER_BYTES;
  }

  private async run(): Promise<void> {
    let corked = false;
    try {
      do {
        this.again = false;
        for (;;) {
          let progressed = false;
          for (const feed of [...this.feeds()]) {
            if (this.sink.closed) return;
            if (this.full()) {
              this.waitForDrain();
              return;
            }
            let chunk: LiveChunk;
            const from = feed.position;
            try {
              if (!feed.active || from >= feed.log.highWatermark) continue;
              const at = from < feed.log.logStartOffset ? feed.log.logStartOffset : from;
              chunk = this.core.reader.peek(feed.log, at, feed.format) ?? (await this.core.reader.read(feed.log, at, feed.format));
            } catch (error) {
              if (feed.active) feed.failed(error);
              continue;
            }
            if (!feed.active || feed.position !== from || this.sink.closed) continue;
            if (chunk.records.length > 0) {
              if (!corked) {
                this.sink.stream.cork();
                corked = true;
              }
              feed.deliver(chunk);
            }
            if (chunk.nextOffset > feed.position) {
              feed.position = chunk.nextOffset;
              progressed = true;
            }
          }
          if (!progressed) break;
        }
      } while (this.again);
    } finally {
      if (corked) this.sink.stream.uncork();
      this.running = false;
    }
  }

  private waitForDrain(): void {
    if (this.waitingForDrain) return;
    this.waitingForDrain = true;
    onceDrainedOrClosed(this.sink.stream, () => {
      this.waitingForDrain = false;
      this.wake();
    });
  }
}
