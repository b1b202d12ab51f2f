import { FRAME_BYTES_MAX_DEFAULT, FRAME_SIZE_PREFIX_BYTES } from './constants';
import { ProtocolError } from './errors';

/**
 * Splits a TCP byte stream into Kafka frames: a 4-byte big-endian size, then that many bytes.
 *
 * Chunks are kept as they arrive (no copy per chunk); a frame that lies inside one chunk is
 * returned as a view of it, one that spans chunks is assembled once, so the cost stays linear in
 * the bytes received however the stream is cut. A size prefix that is negative or above
 * `frameBytesMax` throws a ProtocolError before anything is buffered for it: the caller closes
 * the connection (Kafka does the same: it cannot resynchronise a stream after a bad size).
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  /** Read position inside chunks[0]. */
  private head = 0;
  private buffered = 0;
  /** Size of the frame being assembled, or -1 while its prefix is incomplete. */
  private frameBytes = -1;

  constructor(readonly frameBytesMax = FRAME_BYTES_MAX_DEFAULT) {
    if (!(Number.isInteger(frameBytesMax) && frameBytesMax >= 0 && frameBytesMax <= 0x7fffffff)) {
      throw new RangeError(`frameBytesMax must be an int32 >= 0: ${frameBytesMax}`);
    }
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Feed bytes from the stream; returns the frames completed by them (without size prefixes), in order. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    while (true) {
      if (this.frameBytes < 0) {
        if (this.buffered < FRAME_SIZE_PREFIX_BYTES) break;
        const size = this.take(FRAME_SIZE_PREFIX_BYTES).readInt32BE(0);
        if (size < 0) throw new ProtocolError('invalid_length', `negative frame size ${size}`);
        if (size > this.frameBytesMax) {
          throw new ProtocolError('frame_too_large', `frame of ${size} bytes exceeds ${this.frameBytesMax}`);
        }
        this.frameBytes = size;
      }
      if (this.buffered < this.frameBytes) break;
      frames.push(this.take(this.frameBytes));
      this.frameBytes = -1;
    }
    return frames;
  }

  /** Remove `bytes` from the front: a view when they lie in one chunk, a copy otherwise. */
  private take(bytes: number): Buffer {
    const first = this.chunks[0];
    if (bytes === 0) return Buffer.alloc(0);
    if (first !== undefined && first.length - this.head >= bytes) {
      const out = first.subarray(this.head, this.head + bytes);
      this.head += bytes;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
      this.buffered -= bytes;
      return out;
    }
    const out = Buffer.allocUnsafe(bytes);
    let filled = 0;
    while (filled < bytes) {
      const chunk = this.chunks[0]!;
      const n = Math.min(chunk.length - this.head, bytes - filled);
      chunk.copy(out, filled, this.head, this.head + n);
      filled += n;
      this.head += n;
      if (this.head === chunk.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.buffered -= bytes;
    return out;
  }
}
