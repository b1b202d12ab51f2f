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

/**
 * The contracts' error codes (shared/spec/http-api.md, live-protocol.md), one place: an HTTP status
 * and the 5-digit `error_code` that both the REST and the live doors render.
 */
export const STATUS_BY_KIND: Record<DomainErrorKind, [status: number, code: number]> = {
  [DomainErrorKind.Malformed]: [400, 40001],
  [DomainErrorKind.TopicNotFound]: [404, 40401],
  [DomainErrorKind.PartitionNotFound]: [404, 40402],
  [DomainErrorKind.InstanceNotFound]: [404, 40403],
  [DomainErrorKind.GroupNotFound]: [404, 40405],
  [DomainErrorKind.ClusterNotFound]: [404, 40404],
  [DomainErrorKind.TopicExists]: [409, 40901],
  [DomainErrorKind.AlreadySubscribed]: [409, 40901],
  [DomainErrorKind.InstanceExists]: [409, 40902],
  [DomainErrorKind.GroupNotEmpty]: [409, 40903],
  [DomainErrorKind.TooLarge]: [413, 41301],
  [DomainErrorKind.OffsetOutOfRange]: [416, 41601],
  [DomainErrorKind.InvalidPayload]: [422, 42206],
  [DomainErrorKind.TooManyRequests]: [429, 42901],
  [DomainErrorKind.Internal]: [500, 50001],
  [DomainErrorKind.NotAvailable]: [503, 50301],
  [DomainErrorKind.Storage]: [507, 50701],
};

/** An error as every JSON door renders it (the live door adds `type` and the request's `id`). */
export interface ErrorBody {
  error_code: number;
  message: string;
}

/** A domain error as the JSON doors render it: the HTTP status and `{"error_code", "message"}`. */
export function errorResponse(error: DomainError): { status: number; body: ErrorBody } {
  const [status, code] = STATUS_BY_KIND[error.kind];
  return { status, body: { error_code: code, message: error.message } };
}
