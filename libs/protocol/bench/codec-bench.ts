/**
 * Micro-benchmark of the generated codecs on the hot paths (prints `name: value unit` lines):
 *   node -r @swc-node/register libs/protocol/bench/codec-bench.ts
 */
import { ApiKey, FrameReader, decodeRequest, decodeRequestHeader, encodeRequest, encodeResponse, encodeResponseChunks } from '@runnel/protocol';

function measure(name: string, unit: string, perOp: number, run: () => void): void {
  for (let i = 0; i < 200; i++) run(); // warm up
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsedNs = 0n;
  while (elapsedNs < 1_000_000_000n) {
    for (let i = 0; i < 100; i++) run();
    ops += 100;
    elapsedNs = process.hrtime.bigint() - start;
  }
  const seconds = Number(elapsedNs) / 1e9;
  console.log(`${name}: ${((ops * perOp) / seconds).toFixed(0)} ${unit}`);
}

const records = Buffer.alloc(16 * 1024, 7);
const partitions = 16;
const produce = encodeRequest(ApiKey.Produce, 9, 1, 'bench', {
  transactionalId: null,
  acks: -1,
  timeoutMs: 30000,
  topicData: [{ name: 'bench', partitionData: Array.from({ length: partitions }, (_, index) => ({ index, records })) }],
});
const fetchResponse = {
  throttleTimeMs: 0,
  errorCode: 0,
  sessionId: 0,
  responses: [
    {
      topic: 'bench',
      partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({
        partitionIndex,
        errorCode: 0,
        highWatermark: 1000n,
        lastStableOffset: 1000n,
        logStartOffset: 0n,
        abortedTransactions: null,
        records,
      })),
    },
  ],
};
const mb = (partitions * records.length) / 1e6;

measure('produce_v9_request_decode', 'requests/s', 1, () => {
  const header = decodeRequestHeader(produce, 4);
  decodeRequest(ApiKey.Produce, 9, produce, header.bodyOffset);
});
measure('produce_v9_request_decode_throughput', 'MB/s', mb, () => {
  decodeRequest(ApiKey.Produce, 9, produce, decodeRequestHeader(produce, 4).bodyOffset);
});
measure('fetch_v11_response_encode', 'responses/s', 1, () => encodeResponse(ApiKey.Fetch, 11, 1, fetchResponse));
measure('fetch_v12_response_encode', 'responses/s', 1, () => encodeResponse(ApiKey.Fetch, 12, 1, fetchResponse));
measure('fetch_v11_response_encode_throughput', 'MB/s', mb, () => encodeResponse(ApiKey.Fetch, 11, 1, fetchResponse));
measure('fetch_v11_response_encode_chunks_throughput', 'MB/s', mb, () => encodeResponseChunks(ApiKey.Fetch, 11, 1, fetchResponse));
const metadata = encodeRequest(ApiKey.Metadata, 12, 1, 'bench', { topics: [{ name: 'a', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
measure('metadata_v12_request_decode', 'requests/s', 1, () => decodeRequest(ApiKey.Metadata, 12, metadata, decodeRequestHeader(metadata, 4).bodyOffset));
const stream = Buffer.concat(Array.from({ length: 64 }, () => produce));
measure('frame_reader_split', 'MB/s', stream.length / 1e6, () => {
  const reader = new FrameReader();
  for (let offset = 0; offset < stream.length; offset += 65536) reader.push(stream.subarray(offset, offset + 65536));
});
