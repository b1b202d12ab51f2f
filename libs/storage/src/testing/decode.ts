/** Decodes fetched bytes into (offset, key, value-is-null, timestamp) for test assertions. */
import { batchSizeAt } from '@runnel/records';
import { batchRecordsPayload, forEachRecord } from '../record-reader';

export interface DecodedRecord {
  offset: bigint;
  key: string | null;
  tombstone: boolean;
  timestampMs: number;
}

export function decodeRecords(records: Buffer): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  for (let at = 0; at < records.length; at += batchSizeAt(records, at)) {
    const batch = records.subarray(at, at + batchSizeAt(records, at));
    const payload = batchRecordsPayload(batch);
    if (!payload) throw new Error('test decoder: unsupported codec');
    const base = batch.readBigInt64BE(0);
    const baseTimestamp = Number(batch.readBigInt64BE(27));
    forEachRecord(payload, batch.readInt32BE(57), (r) => {
      out.push({ offset: base + BigInt(r.offsetDelta), key: r.key ? r.key.toString() : null, tombstone: r.valueIsNull, timestampMs: baseTimestamp + r.timestampDelta });
    });
  }
  return out;
}
