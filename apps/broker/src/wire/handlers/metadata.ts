/**
 * Metadata: this node as the only broker (advertised host and port) and the controller, the
 * cluster id, and the topics asked for (all when the list is null, or empty in v0). Unknown topics
 * are created with the broker defaults when auto.create.topics.enable is on and the request
 * allows it (v4+ flag; always in v0-v3), so the client gets their partitions in the same answer.
 */
import { ErrorCode, type MetadataRequest, type MetadataResponse, type MetadataResponseTopic } from '@runnel/protocol';
import type { TopicImage } from '@runnel/metadata';
import type { WireContext } from '../handler';
import { kafkaFailure } from '../errors';
import type { WireDeps } from './deps';

const AUTHORIZED_OPERATIONS_UNKNOWN = -2147483648;

export function describeTopic(topic: TopicImage, nodeId: number): MetadataResponseTopic {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: topic.internal,
    partitions: topic.partitions.map((p) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex: p.partition,
      leaderId: p.leader < 0 ? nodeId : p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: [...p.replicas],
      isrNodes: [...p.isr],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_UNKNOWN,
  };
}

export async function handleMetadata(deps: WireDeps, request: MetadataRequest, context: WireContext): Promise<MetadataResponse> {
  const { engine, config } = deps;
  const advertised = deps.advertised();
  const allTopics = request.topics === null || (context.apiVersion === 0 && request.topics.length === 0);
  const topics: MetadataResponseTopic[] = [];
  if (allTopics) {
    for (const t of engine.image.topics()) topics.push(describeTopic(t, config.nodeId));
  } else {
    const mayCreate = config.autoCreateTopicsEnable && (request.allowAutoTopicCreation ?? true);
    for (const wanted of request.topics ?? []) {
      const name = wanted.name ?? (wanted.topicId !== undefined ? engine.image.topicById(wanted.topicId)?.name : undefined) ?? null;
      let topic = name === null ? undefined : engine.image.topic(name);
      if (topic === undefined && name !== null && mayCreate) {
        try {
          await deps.topics.autoCreate(name);
          topic = engine.image.topic(name);
        } catch (e) {
          topics.push({ errorCode: kafkaFailure(e).code, name, partitions: [], isInternal: false });
          continue;
        }
      }
      if (topic === undefined) {
        topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, ...(wanted.topicId !== undefined ? { topicId: wanted.topicId } : {}), partitions: [], isInternal: false });
      } else {
        topics.push(describeTopic(topic, config.nodeId));
      }
    }
  }
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: config.nodeId, host: advertised.host, port: advertised.port, rack: null }],
    clusterId: engine.clusterId,
    controllerId: config.nodeId,
    topics,
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_UNKNOWN,
  };
}
