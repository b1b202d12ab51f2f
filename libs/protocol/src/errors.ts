/**
 * The one error the codecs throw for bad input: decoding garbage must never throw anything else
 * (the wire door turns a ProtocolError into an error response or a closed connection).
 */
export type ProtocolErrorKind =
  | 'truncated' // a read past the end of the frame
  | 'invalid_length' // a negative or impossible length prefix, or a length larger than what remains
  | 'string_too_long' // a string longer than STRING_BYTES_MAX
  | 'varint_too_long' // an unsigned varint of more than 5 bytes
  | 'null_not_allowed' // null where the schema does not allow it (decoding or encoding)
  | 'invalid_value' // a value that cannot be encoded (bad UUID, int out of range, ...)
  | 'unsupported_version' // an (api, version) this build does not generate
  | 'unsupported_field' // a non-default, non-ignorable field set for a version that lacks it
  | 'frame_too_large'; // a frame size prefix beyond the frame reader's limit

export class ProtocolError extends Error {
  constructor(
    readonly kind: ProtocolErrorKind,
    message: string,
  ) {
    super(`${kind}: ${message}`);
    this.name = 'ProtocolError';
  }
}
