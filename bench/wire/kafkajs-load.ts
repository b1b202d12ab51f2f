/**
 * The real-client figure: kafkajs's producer sending batches of `recordsPerBatch` 100-byte
 * messages, `inFlight` sends at a time, with the given acks, until the duration or the record
 * budget runs out. This measures kafkajs as much as the broker (kafkajs encodes every record in
 * JavaScript), which is why the comparison with the peers uses the lean generator instead.
 */
import { Kafka, logLevel } from 'kafkajs';
import { nowSeconds } from './common';
import type { LoadFigures } from './kafka-load';

export interface KafkajsLoad {
  port: number;
  topic: string;
  acks: number;
  recordsPerBatch: number;
  recordBytes: number;
  inFlight: number;
  durationMs: number;
  recordsMax: number;
}

export async function kafkajsProduce(load: KafkajsLoad): Promise<LoadFigures> {
  const kafka = new Kafka({ clientId: 'runnel-bench-kafkajs', brokers: [`127.0.0.1:${load.port}`], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const value = Buffer.alloc(load.recordBytes, 'k');
  const messages = Array.from({ length: load.recordsPerBatch }, () => ({ value }));
  const sendsMax = Math.ceil(load.recordsMax / load.recordsPerBatch);
  let sends = 0;
  let records = 0;
  const start = nowSeconds();
  const deadline = start + load.durationMs / 1000;
  try {
    const lane = async (): Promise<void> => {
      while (nowSeconds() < deadline && sends < sendsMax) {
        sends++;
        await producer.send({ topic: load.topic, acks: load.acks, messages });
        records += load.recordsPerBatch;
      }
    };
    await Promise.all(Array.from({ length: load.inFlight }, lane));
  } finally {
    await producer.disconnect();
  }
  return { records, bytes: records * load.recordBytes, seconds: nowSeconds() - start };
}
