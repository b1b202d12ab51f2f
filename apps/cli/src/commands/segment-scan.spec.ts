import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BATCH_OFFSET_MAGIC, CompressionType, encodeBatchSync, setBatchBaseOffset } from '@runnel/records';
import { scanIndex, scanSegment } from './segment-scan';

function batch(baseOffset: bigint, values: string[], compression = CompressionType.None): Buffer {
  const b = encodeBatchSync({ records: values.map((v) => ({ value: Buffer.from(v) })), compression, nowMs: 1_000n });
  setBatchBaseOffset(b, baseOffset);
  return b;
}

describe('segment-scan', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'runnel-scan-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, ...parts: Buffer[]): string => {
    const p = join(dir, name);
    writeFileSync(p, Buffer.concat(parts));
    return p;
  };

  it('checks and decodes every batch, compressed ones too', async () => {
    const p = write('00000000000000000010.log', batch(10n, ['a', 'b']), batch(12n, ['c'], CompressionType.Gzip), batch(13n, ['d', 'e', 'f'], CompressionType.Snappy));
    const r = await scanSegment(p, { deep: false, printData: true });
    expect(r.problems).toEqual([]);
    expect(r.records).toBe(6);
    expect(r.base_offset).toBe('10');
    expect(r.batches.map((b) => [b.base_offset, b.last_offset, b.compression, b.valid])).toEqual([
      ['10', '11', 'none', true],
      ['12', '12', 'gzip', true],
      ['13', '15', 'snappy', true],
    ]);
    expect(r.batches[2]!.records!.map((x) => [x.offset, x.payload])).toEqual([['13', 'd'], ['14', 'e'], ['15', 'f']]);
  });

  it('finds offsets that go backwards, a bad magic byte and a torn tail', async () => {
    const second = batch(5n, ['x']);
    second[BATCH_OFFSET_MAGIC] = 1;
    const p = write('00000000000000000000.log', batch(0n, ['a', 'b', 'c']), batch(2n, ['dup']), second, batch(9n, ['z']), Buffer.alloc(20, 1));
    const r = await scanSegment(p, { deep: true, printData: false });
    expect(r.batches.map((b) => b.valid)).toEqual([true, false, false, true]);
    expect(r.batches[1]!.problem).toContain('offsets go backwards: base offset 2 is not above the previous batch\'s last offset 2');
    expect(r.batches[2]!.problem).toBe('bad magic');
    expect(r.batches[3]!.records![0]!.payload).toBeNull();
    expect(r.problems).toHaveLength(3);
    expect(r.problems[2]!.problem).toContain('20 trailing byte(s)');
  });

  it('stops at a length that cannot frame a batch', async () => {
    const broken = batch(1n, ['y']);
    broken.writeInt32BE(3, 8);
    const p = write('00000000000000000000.log', batch(0n, ['a']), broken, batch(2n, ['never read']));
    const r = await scanSegment(p, { deep: false, printData: false });
    expect(r.batches).toHaveLength(1);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.problem).toContain('has batchLength 3');
  });

  it('dumps index entries and flags one that goes backwards', async () => {
    const entries = Buffer.alloc(8 * 4);
    [[0, 0], [5, 4100], [3, 8200]].forEach(([rel, pos], i) => {
      entries.writeInt32BE(rel!, i * 8);
      entries.writeInt32BE(pos!, i * 8 + 4);
    });
    const r = await scanIndex(write('00000000000000000100.index', entries), 'offset');
    // The zero-filled fourth entry is preallocation, not an entry.
    expect(r.entries).toEqual([{ offset: '100', position: 0 }, { offset: '105', position: 4100 }, { offset: '103', position: 8200 }]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.problem).toContain('goes backwards');
  });
});
