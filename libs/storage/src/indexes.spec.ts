import fs from 'node:fs';
import * as path from 'node:path';
import { OffsetIndex, TimeIndex } from './indexes';
import { makeTempDir, removeDir } from './testing/temp-dir';

describe('OffsetIndex / TimeIndex', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('runnel-index-', true);
  });
  afterEach(() => removeDir(dir));

  it('looks up the largest entry at or below an offset, and persists in Kafka layout', () => {
    const file = path.join(dir, '0.index');
    const index = new OffsetIndex(file, 100);
    expect(index.lookup(5)).toBe(0);
    index.append(10, 100);
    index.append(20, 250);
    index.append(35, 400);
    expect(index.lookup(9)).toBe(0);
    expect(index.lookup(10)).toBe(100);
    expect(index.lookup(34)).toBe(250);
    expect(index.lookup(1000)).toBe(400);
    index.close();
    const bytes = fs.readFileSync(file);
    expect(bytes.length).toBe(24);
    expect([bytes.readInt32BE(8), bytes.readInt32BE(12)]).toEqual([20, 250]);
    const again = new OffsetIndex(file, 100);
    expect(again.load()).toBe(true);
    expect(again.lookup(25)).toBe(250);
    again.truncateToPosition(250);
    expect(again.entries).toBe(1);
    expect(fs.statSync(file).size).toBe(8);
    again.close();
  });

  it('rejects a corrupt or oversized file on load', () => {
    const file = path.join(dir, '1.index');
    fs.writeFileSync(file, Buffer.alloc(12));
    expect(new OffsetIndex(file, 100).load()).toBe(false);
    const buf = Buffer.alloc(16);
    buf.writeInt32BE(5, 0);
    buf.writeInt32BE(50, 4);
    buf.writeInt32BE(4, 8); // goes backwards
    buf.writeInt32BE(60, 12);
    fs.writeFileSync(file, buf);
    expect(new OffsetIndex(file, 100).load()).toBe(false);
    expect(new OffsetIndex(file, 1).load()).toBe(false);
  });

  it('refuses appends past its bound', () => {
    const index = new OffsetIndex(path.join(dir, '2.index'), 2);
    index.append(1, 10);
    index.append(2, 20);
    expect(index.isFull()).toBe(true);
    expect(() => index.append(3, 30)).toThrow();
    index.close();
  });

  it('time index keeps increasing timestamps and starts scans below the target', () => {
    const file = path.join(dir, '0.timeindex');
    const index = new TimeIndex(file, 100);
    index.maybeAppend(1000, 5);
    index.maybeAppend(900, 6); // not newer: ignored
    index.maybeAppend(2000, 10);
    expect(index.entries).toBe(2);
    expect(index.lookup(999)).toBe(0);
    expect(index.lookup(1000)).toBe(0);
    expect(index.lookup(1001)).toBe(5);
    expect(index.lookup(5000)).toBe(10);
    index.close();
    expect(fs.statSync(file).size).toBe(24);
    const again = new TimeIndex(file, 100);
    expect(again.load()).toBe(true);
    expect(again.lastTimestamp()).toBe(2000);
    again.truncateToRelativeOffset(10);
    expect(again.entries).toBe(1);
    again.close();
  });
});
