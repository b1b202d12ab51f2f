/**
 * The lean Kafka load generator: raw sockets, prebuilt Produce requests (one v2 record batch of
 * `recordsPerBatch` 100-byte records per request, encoded once with encodeBatchSync and framed
 * once with encodeRequest), pipelined `depth` deep on each of several connections, one partition
 * per connection. The broker answers in order per connection, so a FIFO of waiters matches
 * responses to requests; every response is decoded and its error code checked.
 *
 * Also here: the raw Fetch loop (consume records/s, counting records from the batch headers
 * without decoding them) and the latency probe (one single-record Produce at a time).
 */
import { ApiKey, FrameReader, decodeResponse, encodeRequest } from '@runnel/protocol';
import { encodeBatchSync } from '@runnel/records';
import type { Socket } from 'node:net';
import { connect, nowSeconds } from './common';

export const PRODUCE_VERSION = 7;
export const FETCH_VERSION = 11;
const CLIENT_ID = 'runnel-bench';
const REQUEST_TIMEOUT_MS = 30_000;
/** Record batch header: records count at byte 57, batch length (after the first 12 bytes) at byte 8. */
const BATCH_LENGTH_OFFSET = 8;
const BATCH_RECORDS_COUNT_OFFSET = 57;
const BATCH_LOG_OVERHEAD_BYTES = 12;
const FRAME_BYTES_MAX = 128 * 1024 * 1024;

/** One client connection with in-order request/response matching. */
export class WireConnection {
  private readonly frames = new FrameReader(FRAME_BYTES_MAX);
  private readonly waiters: { resolve: (frame: Buffer) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.frames.push(chunk)) this.waiters.shift()?.resolve(frame);
    });
    const fail = (e: Error): void => {
      this.failure = e;
      for (const w of this.waiters.splice(0)) w.reject(e);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static async open(port: number): Promise<WireConnection> {
    return new WireConnection(await connect(port));
  }

  /** Writes a whole frame (with its size prefix); resolves with the response frame. */
  send(frame: Buffer): Promise<Buffer> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export function valueOf(bytes: number): Buffer {
  return Buffer.alloc(bytes, 'r');
}

export function produceFrame(topic: string, partition: number, acks: number, records: number, recordBytes: number): Buffer {
  const value = valueOf(recordBytes);
  const batch = encodeBatchSync({ records: Array.from({ length: records }, () => ({ value })) });
  return encodeRequest(ApiKey.Produce, PRODUCE_VERSION, 1, CLIENT_ID, {
    transactionalId: null,
    acks,
    timeoutMs: REQUEST_TIMEOUT_MS,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
  });
}

function checkProduce(frame: Buffer): void {
  const { body } = decodeResponse(ApiKey.Produce, PRODUCE_VERSION, frame);
  const p = body.responses[0]?.partitionResponses[0];
  if (p === undefined || p.errorCode !== 0) throw new Error(`produce failed: error ${p?.errorCode} ${p?.errorMessage ?? ''}`);
}

export interface LoadFigures {
  records: number;
  bytes: number;
  seconds: number;
}

export interface ProduceLoad {
  port: number;
  topic: string;
  partitions: number;
  connections: number;
  depth: number;
  acks: number;
  recordsPerBatch: number;
  recordBytes: number;
  durationMs: number;
  recordsMax: number;
}

/** Pipelined produce on several connections until the duration or the record budget runs out. */
export async function leanProduce(load: ProduceLoad): Promise<LoadFigures> {
  const sockets = await Promise.all(Array.from({ length: load.connections }, () => WireConnection.open(load.port)));
  const frames = sockets.map((_, i) => produceFrame(load.topic, i % load.partitions, load.acks, load.recordsPerBatch, load.recordBytes));
  const requestsMax = Math.ceil(load.recordsMax / load.recordsPerBatch / load.connections);
  let records = 0;
  let bytes = 0;
  const start = nowSeconds();
  const deadline = start + load.durationMs / 1000;
  try {
    await Promise.all(
      sockets.map(async (socket, i) => {
        const frame = frames[i]!;
        let sent = 0;
        const lane = async (): Promise<void> => {
          while (nowSeconds() < deadline && sent < requestsMax) {
            sent++;
            checkProduce(await socket.send(frame));
            records += load.recordsPerBatch;
            bytes += frame.length;
          }
        };
        await Promise.all(Array.from({ length: load.depth }, lane));
      }),
    );
  } finally {
    for (const s of sockets) s.close();
  }
  return { records, bytes, seconds: nowSeconds() - start };
}

/** Reads partitions 0..partitions-1 from offset 0 to `endOffsets` with pipelined Fetch requests, one connection per partition. */
export async function rawConsume(port: number, topic: string, endOffsets: readonly bigint[], partitionBytesMax: number, timeoutMs: number): Promise<LoadFigures> {
  const sockets = await Promise.all(endOffsets.map(() => WireConnection.open(port)));
  let records = 0;
  let bytes = 0;
  const start = nowSeconds();
  const deadline = start + timeoutMs / 1000;
  try {
    await Promise.all(
      sockets.map(async (socket, partition) => {
        const end = endOffsets[partition]!;
        let offset = 0n;
        while (offset < end) {
          if (nowSeconds() > deadline) throw new Error(`consume of partition ${partition} not done in ${timeoutMs} ms (at ${offset} of ${end})`);
          const frame = encodeRequest(ApiKey.Fetch, FETCH_VERSION, 1, CLIENT_ID, {
            replicaId: -1,
            maxWaitMs: 500,
            minBytes: 1,
            maxBytes: partitionBytesMax,
            isolationLevel: 0,
            sessionId: 0,
            sessionEpoch: -1,
            topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: partitionBytesMax, logStartOffset: -1n, currentLeaderEpoch: -1 }] }],
            forgottenTopicsData: [],
            rackId: '',
          });
          const { body } = decodeResponse(ApiKey.Fetch, FETCH_VERSION, await socket.send(frame));
          const data = body.responses[0]?.partitions[0];
          if (data === undefined || data.errorCode !== 0) throw new Error(`fetch failed: error ${data?.errorCode}`);
          const batches = data.records ?? Buffer.alloc(0);
          let at = 0;
          while (at + BATCH_RECORDS_COUNT_OFFSET + 4 <= batches.length) {
            const batchBytes = BATCH_LOG_OVERHEAD_BYTES + batches.readInt32BE(at + BATCH_LENGTH_OFFSET);
            if (at + batchBytes > batches.length) break; // a partial batch at the end of max bytes
            const count = batches.readInt32BE(at + BATCH_RECORDS_COUNT_OFFSET);
            const baseOffset = batches.readBigInt64BE(at);
            records += count;
            offset = baseOffset + BigInt(batches.readInt32BE(at + 23)) + 1n; // base + lastOffsetDelta + 1
            at += batchBytes;
          }
          bytes += at;
        }
      }),
    );
  } finally {
    for (const s of sockets) s.close();
  }
  return { records, bytes, seconds: nowSeconds() - start };
}

/** Produce round-trip times of single-record requests, one at a time, in milliseconds (sorted). */
export async function produceLatencies(port: number, topic: string, acks: number, recordBytes: number, samplesMax: number, durationMs: number): Promise<number[]> {
  const socket = await WireConnection.open(port);
  const frame = produceFrame(topic, 0, acks, 1, recordBytes);
  const samples: number[] = [];
  const deadline = nowSeconds() + durationMs / 1000;
  try {
    while (samples.length < samplesMax && nowSeconds() < deadline) {
      const t0 = process.hrtime.bigint();
      checkProduce(await socket.send(frame));
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } finally {
    socket.close();
  }
  return samples.sort((a, b) => a - b);
}
