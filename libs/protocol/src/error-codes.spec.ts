import { ErrorCode, RETRIABLE_ERROR_CODES } from './index';

interface KafkajsError {
  type: string;
  code: number;
  retriable: boolean;
}

describe('ErrorCode', () => {
  it("agrees with kafkajs's table wherever the names match", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { errorCodes } = require('kafkajs/src/protocol/error') as { errorCodes: KafkajsError[] };
    const byName = ErrorCode as unknown as Record<string, number>;
    let matched = 0;
    for (const entry of errorCodes) {
      const ours = byName[entry.type];
      if (ours === undefined) continue;
      expect([entry.type, ours]).toEqual([entry.type, entry.code]);
      if (RETRIABLE_ERROR_CODES.has(ours)) expect([entry.type, entry.retriable]).toEqual([entry.type, true]);
      matched++;
    }
    expect(matched).toBeGreaterThanOrEqual(80);
  });

  it('has the codes the broker answers with', () => {
    expect(ErrorCode.NONE).toBe(0);
    expect(ErrorCode.UNKNOWN_SERVER_ERROR).toBe(-1);
    expect(ErrorCode.OFFSET_OUT_OF_RANGE).toBe(1);
    expect(ErrorCode.CORRUPT_MESSAGE).toBe(2);
    expect(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).toBe(3);
    expect(ErrorCode.NOT_LEADER_OR_FOLLOWER).toBe(6);
    expect(ErrorCode.UNSUPPORTED_VERSION).toBe(35);
    expect(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER).toBe(45);
    expect(ErrorCode.DUPLICATE_SEQUENCE_NUMBER).toBe(46);
    expect(ErrorCode.INVALID_PRODUCER_EPOCH).toBe(47);
    expect(ErrorCode.UNKNOWN_PRODUCER_ID).toBe(59);
    expect(ErrorCode.UNKNOWN_TOPIC_ID).toBe(100);
    expect(RETRIABLE_ERROR_CODES.has(ErrorCode.NOT_LEADER_OR_FOLLOWER)).toBe(true);
    expect(RETRIABLE_ERROR_CODES.has(ErrorCode.TOPIC_ALREADY_EXISTS)).toBe(false);
  });
});
