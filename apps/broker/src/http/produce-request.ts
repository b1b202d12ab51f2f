/**
 * `POST /topics/{topic}/records` with a JSON body, once: the ProduceController and the fast path
 * (produce-fast-path.ts) both answer it through these, so the two cannot drift apart.
 */
import { Acks, ProduceService, parseAcks } from '../core/produce.service';
import { RecordFormat, formatFromMediaType, parseFormat, toProduceRecords } from '../core/record-format';
import type { ProduceResponseDto } from './dto/produce.dto';

/** The route's query parameters (a repeated key gives an array, which the parsers refuse). */
export interface ProduceQuery {
  format?: string;
  acks?: string;
}

/** The request's format (`format=`, else a Confluent v2 media type, else json) and acks. */
export function produceOptions(query: ProduceQuery, contentType: string | undefined): { format: RecordFormat; acks: Acks } {
  return { format: parseFormat(query.format, formatFromMediaType(contentType) ?? 'json'), acks: parseAcks(query.acks) };
}

/** Appends the records of a parsed JSON body (one record or `{"records": [...]}`) and returns the reply. */
export async function produceJson(
  produceService: ProduceService,
  topic: string,
  query: ProduceQuery,
  contentType: string | undefined,
  body: unknown,
  recordsMax: number,
): Promise<ProduceResponseDto> {
  const { format, acks } = produceOptions(query, contentType);
  const records = toProduceRecords(body, format, recordsMax);
  const offsets = await produceService.produce(topic, records, acks);
  return { topic, offsets };
}
