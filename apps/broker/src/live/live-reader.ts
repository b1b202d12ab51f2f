import { Injectable } from '@nestjs/common';
import type { PartitionLog } from '@runnel/storage';
import { FetchService } from '../core/fetch.service';
import { RecordFormat, renderRecord } from '../core/record-format';
import { READ_BYTES_MAX, READ_RECORDS_MAX, SHARED_READS_PER_PARTITION_MAX } from './constants';

/** One read of a partition, rendered once for every subscriber at that offset and format. */
export interface LiveChunk {
  /** Each record as JSON text, in offset order. */
  readonly records: readonly string[];
  /** Offsets of `records` (SSE cursors need them one by one). */
  readonly offsets: readonly bigint[];
  /** The offset to read next (past skipped control/compacted offsets too). */
  readonly nextOffset: bigint;
  /** Stored bytes read. */
  readonly bytes: number;
  /**
   * The WebSocket `records` frame for subscription id `idJson` (its JSON text), encoded once: many
   * subscribers use the same id ("s1", "live"), so a fan-out writes one shared Buffer to every
   * socket instead of building and encoding a string per subscriber.
   */
  frame(idJson: string): Buffer;
}

/** Distinct subscription ids whose frames a chunk keeps; more are built per subscriber. */
const FRAMES_PER_CHUNK_MAX = 16;

class Chunk implements LiveChunk {
  private joinedText: string | null = null;
  private frames: Map<string, Buffer> | null = null;
  constructor(
    readonly records: readonly string[],
    readonly offsets: readonly bigint[],
    readonly nextOffset: bigint,
    readonly bytes: number,
  ) {}

  /** `records` joined with commas (built on first use, shared by the frames of every id). */
  private joined(): string {
    return (this.joinedText ??= this.records.join(','));
  }

  frame(idJson: string): Buffer {
    const hit = this.frames?.get(idJson);
    if (hit) return hit;
    const frame = Buffer.from(`{"type":"records","id":${idJson},"records":[${this.joined()}]}`, 'utf8');
    this.frames ??= new Map();
    if (this.frames.size < FRAMES_PER_CHUNK_MAX) this.frames.set(idJson, frame);
    return frame;
  }
}

/** One read shared by every subscriber at its offset and format; `chunk` once it succeeded non-empty. */
interface SharedRead {
  readonly promise: Promise<LiveChunk>;
  chunk: LiveChunk | undefined;
}

interface Watched {
  unlisten: () => void;
  listeners: Set<() => void>;
}

/**
 * The live door's view of the logs: append notifications fanned out from one PartitionLog
 * listener per partition, and shared reads.
 *
 * Sharing: a hundred subscribers woken by the same append all want the records from the same
 * offset. The first asks FetchService.read; the others await the same promise, so the batch is
 * decoded and each record rendered to JSON once per format, not once per subscriber. A few recent
 * reads stay per partition (subscribers a few frames behind share too). A read is a pure function
 * of (log, offset, format) below the high watermark it saw, so a kept read stays correct: at worst
 * it is shorter than a fresh one, and the reader continues from its nextOffset.
 */
@Injectable()
export class LiveReader {
  private readonly watched = new Map<PartitionLog, Watched>();
  /** Shared reads per log, by `offset:format`, oldest first. */
  private readonly reads = new WeakMap<PartitionLog, Map<string, SharedRead>>();

  constructor(private readonly fetchService: FetchService) {}

  /**
   * Calls `listener` after every append to `log` (synchronously, inside the append). Each watch
   * passes its own function (a closure per feed): the returned unwatch removes that function.
   */
  watch(log: PartitionLog, listener: () => void): () => void {
    let w = this.watched.get(log);
    if (!w) {
      const listeners = new Set<() => void>();
      const unlisten = log.onAppend(() => {
        for (const l of listeners) l();
      });
      w = { unlisten, listeners };
      this.watched.set(log, w);
    }
    const entry = w;
    entry.listeners.add(listener);
    return () => {
      entry.listeners.delete(listener);
      if (entry.listeners.size === 0 && this.watched.get(log) === entry) {
        entry.unlisten();
        this.watched.delete(log);
      }
    };
  }

  /** A read another subscriber already finished, if any: the fan-out path needs no await. */
  peek(log: PartitionLog, offset: bigint, format: RecordFormat): LiveChunk | undefined {
    return this.reads.get(log)?.get(`${offset}:${format}`)?.chunk;
  }

  /** Records of `log` from `offset` (within bounds), rendered in `format`; never waits for appends. */
  read(log: PartitionLog, offset: bigint, format: RecordFormat): Promise<LiveChunk> {
    let perLog = this.reads.get(log);
    if (!perLog) this.reads.set(log, (perLog = new Map()));
    const key = `${offset}:${format}`;
    const hit = perLog.get(key);
    if (hit) return hit.promise;
    const entry: SharedRead = { promise: this.readFresh(log, offset, format), chunk: undefined };
    perLog.set(key, entry);
    if (perLog.size > SHARED_READS_PER_PARTITION_MAX) perLog.delete(perLog.keys().next().value!);
    const map = perLog;
    // Empty and failed reads are not kept: the next append makes them stale at once.
    entry.promise.then(
      (c) => {
        if (map.get(key) !== entry) return;
        if (c.records.length === 0) map.delete(key);
        else entry.chunk = c;
      },
      () => {
        if (map.get(key) === entry) map.delete(key);
      },
    );
    return entry.promise;
  }

  private async readFresh(log: PartitionLog, offset: bigint, format: RecordFormat): Promise<LiveChunk> {
    const r = await this.fetchService.read(log, offset, { maxRecords: READ_RECORDS_MAX, maxBytes: READ_BYTES_MAX });
    const records = new Array<string>(r.records.length);
    const offsets = new Array<bigint>(r.records.length);
    for (let i = 0; i < r.records.length; i++) {
      const rec = r.records[i]!;
      records[i] = JSON.stringify(renderRecord(rec, format));
      offsets[i] = rec.offset;
    }
    return new Chunk(records, offsets, r.nextOffset, r.bytes);
  }
}
