/**
 * InitProducerId for idempotent producers: always a fresh producer id with epoch 0 (as Kafka does
 * without a transactional id; the id comes from a block allocated through the metadata log).
 * Transactional ids are refused: transactions are not served yet.
 */
import { ErrorCode, type InitProducerIdRequest, type InitProducerIdResponse } from '@runnel/protocol';
import { kafkaFailure } from '../errors';
import type { WireDeps } from './deps';

export async function handleInitProducerId(deps: WireDeps, request: InitProducerIdRequest): Promise<InitProducerIdResponse> {
  if (request.transactionalId !== null) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
  }
  try {
    const producerId = await deps.producers.newProducerId();
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
  } catch (e) {
    return { throttleTimeMs: 0, errorCode: kafkaFailure(e).code, producerId: -1n, producerEpoch: -1 };
  }
}
