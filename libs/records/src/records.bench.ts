/**
 * Micro-benchmark of the produce/fetch hot paths: encodeBatchSync and decodeBatchSync of
 * uncompressed batches of small records, plus each codec on a 500-record batch.
 * Run: node -r @swc-node/register libs/records/src/records.bench.ts
 * Prints `name: value unit` lines. Figures vary 20-40% on a shared machine.
 */
import { CompressionType, RecordInput, compressionName, decodeBatch, decodeBatchSync, encodeBatch, encodeBatchSync } from '@runnel/records';

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

async function main(): Promise<void> {
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
