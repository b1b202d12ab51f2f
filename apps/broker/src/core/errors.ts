/**
 * Domain errors: what went wrong, in the engine's terms. Services throw these (never HTTP
 * exceptions); each door maps them once, at its edge (HTTP: `http/domain-error.filter.ts`).
 */
export enum DomainErrorKind {
  Malformed = 'MALFORMED',
  TopicNotFound = 'TOPIC_NOT_FOUND',
  PartitionNotFound = 'PARTITION_NOT_FOUND',
  InstanceNotFound = 'INSTANCE_NOT_FOUND',
  GroupNotFound = 'GROUP_NOT_FOUND',
  ClusterNotFound = 'CLUSTER_NOT_FOUND',
  TopicExists = 'TOPIC_EXISTS',
  AlreadySubscribed = 'ALREADY_SUBSCRIBED',
  InstanceExists = 'INSTANCE_EXISTS',
  GroupNotEmpty = 'GROUP_NOT_EMPTY',
  TooLarge = 'TOO_LARGE',
  InvalidPayload = 'INVALID_PAYLOAD',
  OffsetOutOfRange = 'OFFSET_OUT_OF_RANGE',
  TooManyRequests = 'TOO_MANY_REQUESTS',
  NotAvailable = 'NOT_AVAILABLE',
  Storage = 'STORAGE',
  Internal = 'INTERNAL',
}

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export const malformed = (m: string): DomainError => new DomainError(DomainErrorKind.Malformed, m);
export const invalid = (m: string): DomainError => new DomainError(DomainErrorKind.InvalidPayload, m);
export const topicNotFound = (topic: string): DomainError =>
  new DomainError(DomainErrorKind.TopicNotFound, `topic "${topic}" does not exist; create it with POST /admin/topics (or enable auto.create.topics.enable).`);
export const partitionNotFound = (topic: string, partition: number, count: number): DomainError =>
  new DomainError(DomainErrorKind.PartitionNotFound, `partition ${partition} of topic "${topic}" does not exist; the topic has partitions 0 to ${count - 1}.`);
