/**
 * Micro-benchmark of the produce/fetch hot paths: encodeBatchSync and decodeBatchSync of
 * uncompressed batches of small records, each codec on a 500-record batch, and CRC-32C throughput
 * (our addon as `crc32c` dispatches it, each of its x86-64 paths alone, and @node-rs/crc32) on 1 KiB,
 * 110 KB (a typical batch the storage engine verifies) and 1 MiB.
 * Run: node -r @swc-node/register libs/records/src/records.bench.ts
 * Prints `name: value unit` lines. Figures vary 20-40% on a shared machine.
 */
import { randomBytes } from 'node:crypto';
import { crc32c as nodeRsCrc32c } from '@node-rs/crc32';
import native from 'runnel-crc32c-native';
import {
  CompressionType,
  RecordInput,
  compressionName,
  crc32cImplementation,
  crc32cNativeProblem,
  decodeBatch,
  decodeBatchSync,
  encodeBatch,
  encodeBatchSync,
} from '@runnel/records';

const NOW = 1_700_000_000_000n;

function records(count: number, valueBytes: number): RecordInput[] {
  return Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`key-${i}`),
    value: Buffer.alloc(valueBytes, i & 0xff),
    headers: i % 4 === 0 ? [{ key: 'trace', value: Buffer.from('abc') }] : [],
  }));
}

function rate(name: string, perOp: number, fn: () => void): void {
  const warmStart = process.hrtime.bigint();
  while (process.hrtime.bigint() - warmStart < 200_000_000n) fn(); // let the JIT settle
  let ops = 0;
  const start = process.hrtime.bigint();
  const budgetNs = 500_000_000n;
  while (process.hrtime.bigint() - start < budgetNs) {
    fn();
    ops++;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${name}: ${Math.round((ops * perOp) / seconds)} records/s`);
}

async function rateAsync(name: string, perOp: number, fn: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 20; i++) await fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  while (process.hrtime.bigint() - start < 300_000_000n) {
    await fn();
    ops++;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${name}: ${Math.round((ops * perOp) / seconds)} records/s`);
}

/** GB/s of fn over data: the median of 7 runs of 100 ms each, after a warm-up. */
function throughput(name: string, data: Buffer, fn: (data: Buffer) => number): void {
  const runs: number[] = [];
  for (let run = -1; run < 7; run++) {
    let bytes = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0n;
    while (elapsed < 100_000_000n) {
      for (let i = 0; i < 16; i++) fn(data);
      bytes += 16 * data.length;
      elapsed = process.hrtime.bigint() - start;
    }
    if (run >= 0) runs.push(bytes / Number(elapsed)); // bytes per ns = GB/s
  }
  runs.sort((a, b) => a - b);
  console.log(`${name}: ${runs[runs.length >> 1]!.toFixed(2)} GB/s`);
}

function crc32cThroughput(): void {
  console.log(
    `crc32c_implementation: ${crc32cImplementation}${crc32cNativeProblem ? ` (${crc32cNativeProblem})` : ''}`,
  );
  const random = randomBytes((1 << 20) + 1);
  for (const [label, bytes] of [
    ['1kb', 1024],
    ['110kb', 110_000],
    ['1mb', 1 << 20],
  ] as const) {
    const data = random.subarray(1, 1 + bytes); // misaligned, as batches in a request or segment are
    if (native.loaded) {
      throughput(`crc32c_native_throughput_${label}`, data, native.crc32c);
      for (const [path, f] of [
        ['3way', native.crc32c3way],
        ['vpclmul', native.crc32cVpclmul],
      ] as const) {
        if (f) throughput(`crc32c_native_${path}_throughput_${label}`, data, f);
        else console.log(`crc32c_native_${path}_throughput_${label}: n/a (not on this CPU)`);
      }
    } else console.log(`crc32c_native_throughput_${label}: n/a (addon not loaded)`);
    throughput(`crc32c_node_rs_throughput_${label}`, data, nodeRsCrc32c);
  }
}

async function main(): Promise<void> {
  crc32cThroughput();
  for (const count of [1, 100, 500]) {
    const input = { records: records(count, 100), nowMs: NOW };
    const encoded = encodeBatchSync(input);
    rate(`encode_sync_none_${count}x100B`, count, () => encodeBatchSync(input));
    rate(`decode_sync_none_${count}x100B`, count, () => decodeBatchSync(encoded));
  }
  for (const compression of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
    const input = { records: records(500, 100), nowMs: NOW, compression };
    const encoded = await encodeBatch(input);
    const name = compressionName(compression);
    await rateAsync(`encode_${name}_500x100B`, 500, () => encodeBatch(input));
    await rateAsync(`decode_${name}_500x100B`, 500, () => decodeBatch(encoded));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
