import fc from 'fast-check';
import { FrameReader, ProtocolError } from './index';

function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length, 0);
  return Buffer.concat([size, payload]);
}

describe('FrameReader', () => {
  it('returns the same frames however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 20 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((p) => frame(Buffer.from(p))));
          const reader = new FrameReader(1024);
          const frames: Buffer[] = [];
          let offset = 0;
          let cut = 0;
          while (offset < stream.length) {
            const n = cuts[cut++ % cuts.length]!;
            frames.push(...reader.push(stream.subarray(offset, offset + n)));
            offset += n;
          }
          expect(frames.map((f) => f.toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
          expect(reader.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });

  it('holds partial frames until they are complete', () => {
    const reader = new FrameReader();
    const bytes = frame(Buffer.from('hello'));
    expect(reader.push(bytes.subarray(0, 2))).toEqual([]);
    expect(reader.push(bytes.subarray(2, 6))).toEqual([]);
    expect(reader.bufferedBytes).toBe(2);
    const out = reader.push(bytes.subarray(6));
    expect(out.map((b) => b.toString())).toEqual(['hello']);
  });

  it('refuses absurd sizes before buffering them', () => {
    const reader = new FrameReader(1000);
    const size = Buffer.alloc(4);
    size.writeInt32BE(1001, 0);
    expect(() => reader.push(size)).toThrow(ProtocolError);
    expect(() => new FrameReader(1000).push(size)).toThrow(/frame_too_large/);
    size.writeInt32BE(-5, 0);
    expect(() => new FrameReader(1000).push(size)).toThrow(/invalid_length/);
    expect(() => new FrameReader(-1)).toThrow(RangeError);
  });

  it('returns empty frames for size zero', () => {
    const out = new FrameReader().push(Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 7]));
    expect(out.map((b) => b.toString('hex'))).toEqual(['', '07']);
  });
});
