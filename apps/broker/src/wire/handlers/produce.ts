/**
 * Produce: each partition's batch goes to RawProduceService as the client sent it. The handler is
 * synchronous up to the appends, so pipelined requests of one connection append in order. acks=0
 * gets no response at all (the listener writes nothing for a null body).
 */
import { Logger } from '@nestjs/common';
import { ErrorCode, type ProduceRequest, type ProduceResponse, type ProduceResponsePartitionProduceResponse } from '@runnel/protocol';
import type { RawProduceResult } from '../../core/wire-produce';
import type { WireContext } from '../handler';
import { PRODUCE_ERROR_CODES } from '../errors';
import type { WireDeps } from './deps';

const logger = new Logger('wire-produce');
/** Produce v8 added per-batch error messages. */
const ERROR_MESSAGE_MIN_VERSION = 8;

interface Slot {
  topic: string;
  partition: number;
  result: RawProduceResult | Promise<RawProduceResult>;
}

function failedAll(request: ProduceRequest, code: number, message: string): RawProduceResult[] {
  return request.topicData.flatMap((t) => t.partitionData.map(() => ({ problem: 'unknown' as const, message, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, code })));
}

function render(request: ProduceRequest, results: readonly (RawProduceResult & { code?: number })[], version: number): ProduceResponse {
  let i = 0;
  return {
    throttleTimeMs: 0,
    responses: request.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p): ProduceResponsePartitionProduceResponse => {
        const r = results[i++]!;
        const errorCode = r.code ?? (r.problem === null ? ErrorCode.NONE : PRODUCE_ERROR_CODES[r.problem]);
        return {
          index: p.index,
          errorCode,
          baseOffset: r.baseOffset,
          logAppendTimeMs: r.logAppendTimeMs,
          logStartOffset: r.logStartOffset,
          recordErrors: [],
          ...(version >= ERROR_MESSAGE_MIN_VERSION && errorCode !== (ErrorCode.NONE as number) ? { errorMessage: r.message } : {}),
        };
      }),
    })),
  };
}

export function handleProduce(deps: WireDeps, request: ProduceRequest, context: WireContext): ProduceResponse | null | Promise<ProduceResponse | null> {
  const acks = request.acks;
  if (acks !== -1 && acks !== 0 && acks !== 1) {
    return render(request, failedAll(request, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1; got ${acks}.`), context.apiVersion);
  }
  if (request.transactionalId !== undefined && request.transactionalId !== null) {
    const results = failedAll(request, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'transactions are not supported by this broker yet.');
    return acks === 0 ? null : render(request, results, context.apiVersion);
  }
  const slots: Slot[] = [];
  for (const t of request.topicData) {
    for (const p of t.partitionData) {
      slots.push({ topic: t.name, partition: p.index, result: deps.rawProduce.append(t.name, p.index, p.records, acks) });
    }
  }
  if (acks === 0) {
    for (const s of slots) {
      void Promise.resolve(s.result).then((r) => {
        if (r.problem !== null) logger.warn(`acks=0 produce to ${s.topic}-${s.partition} from ${context.clientId ?? '?'} refused: ${r.message}`);
      });
    }
    return null;
  }
  if (slots.every((s) => !(s.result instanceof Promise))) {
    return render(request, slots.map((s) => s.result as RawProduceResult), context.apiVersion);
  }
  return Promise.all(slots.map((s) => Promise.resolve(s.result))).then((results) => render(request, results, context.apiVersion));
}
