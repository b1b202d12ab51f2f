/**
 * The admin APIs: topics, partitions, configs, records deletion. Semantics and validation live in
 * the metadata controller (topics, partitions, configs, validate-only included) and the core's
 * AdminService (records deletion); these handlers translate requests and map errors to codes.
 */
import {
  ErrorCode,
  type AlterConfigsRequest,
  type AlterConfigsResponse,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  type CreateTopicsResponseCreatableTopicResult,
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
  type DescribeConfigsResponseDescribeConfigsResourceResult,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from '@runnel/protocol';
import { kafkaFailure } from '../errors';
import type { WireContext } from '../handler';
import type { WireDeps } from './deps';

/** Kafka's ConfigResource types and DescribeConfigs config sources. */
export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
const SOURCE_TOPIC_CONFIG = 1;
const SOURCE_STATIC_BROKER_CONFIG = 4;
const SOURCE_DEFAULT_CONFIG = 5;
/** IncrementalAlterConfigs operations. */
const OP_SET = 0;
const OP_DELETE = 1;
const OP_APPEND = 2;
const OP_SUBTRACT = 3;

function failure(e: unknown): { errorCode: number; errorMessage: string } {
  const f = kafkaFailure(e);
  return { errorCode: f.code, errorMessage: f.message };
}

function topicConfigEntries(deps: WireDeps, topic: string): { name: string; value: string; source: number }[] {
  const overrides = deps.engine.image.topicConfigs(topic);
  return Object.entries(deps.engine.effectiveTopicConfigs(topic))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value, source: Object.prototype.hasOwnProperty.call(overrides, name) ? SOURCE_TOPIC_CONFIG : SOURCE_DEFAULT_CONFIG }));
}

export async function handleCreateTopics(deps: WireDeps, request: CreateTopicsRequest): Promise<CreateTopicsResponse> {
  const topics: CreateTopicsResponseCreatableTopicResult[] = [];
  const validateOnly = request.validateOnly ?? false;
  for (const t of request.topics) {
    const fromAssignments = t.assignments.length > 0;
    const partitions = fromAssignments ? t.assignments.length : t.numPartitions === -1 ? deps.config.numPartitions : t.numPartitions;
    const replicationFactor = fromAssignments ? (t.assignments[0]?.brokerIds.length ?? 0) : t.replicationFactor === -1 ? deps.config.defaultReplicationFactor : t.replicationFactor;
    const configs: Record<string, string> = {};
    for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value;
    try {
      const created = await deps.engine.metadata.createTopic({ name: t.name, partitions, replicationFactor, configs, validateOnly });
      const entries = validateOnly ? Object.entries(created.configs).map(([name, value]) => ({ name, value, source: SOURCE_TOPIC_CONFIG })) : topicConfigEntries(deps, t.name);
      topics.push({
        name: t.name,
        topicId: created.topic.topicId,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        numPartitions: created.topic.partitions.length,
        replicationFactor: created.topic.partitions[0]?.replicas.length ?? replicationFactor,
        configs: entries.map((e) => ({ name: e.name, value: e.value, readOnly: false, configSource: e.source, isSensitive: false })),
      });
    } catch (e) {
      topics.push({ name: t.name, ...failure(e), numPartitions: -1, replicationFactor: -1 });
    }
  }
  return { throttleTimeMs: 0, topics };
}

export async function handleDeleteTopics(deps: WireDeps, request: DeleteTopicsRequest, context: WireContext): Promise<DeleteTopicsResponse> {
  const wanted: { name: string | null; topicId: string | undefined }[] =
    request.topics !== undefined && request.topics.length > 0 ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : (request.topicNames ?? []).map((name) => ({ name, topicId: undefined }));
  const responses = [];
  for (const w of wanted) {
    const byId = w.name === null && w.topicId !== undefined ? deps.engine.image.topicById(w.topicId) : undefined;
    const name = w.name ?? byId?.name ?? null;
    const topicId = name !== null ? deps.engine.image.topic(name)?.topicId : undefined;
    const idField = context.apiVersion >= 6 ? { topicId: topicId ?? w.topicId ?? 'AAAAAAAAAAAAAAAAAAAAAA' } : {};
    if (name === null) {
      responses.push({ name: null, ...idField, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `topic id ${w.topicId ?? '?'} does not exist.` });
      continue;
    }
    try {
      await deps.engine.metadata.deleteTopic(name);
      responses.push({ name, ...idField, errorCode: ErrorCode.NONE, errorMessage: null });
    } catch (e) {
      responses.push({ name, ...idField, ...failure(e) });
    }
  }
  return { throttleTimeMs: 0, responses };
}

export async function handleCreatePartitions(deps: WireDeps, request: CreatePartitionsRequest): Promise<CreatePartitionsResponse> {
  const results = [];
  for (const t of request.topics) {
    try {
      await deps.engine.metadata.createPartitions(t.name, t.count, { validateOnly: request.validateOnly });
      results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null });
    } catch (e) {
      results.push({ name: t.name, ...failure(e) });
    }
  }
  return { throttleTimeMs: 0, results };
}

export function handleDescribeConfigs(deps: WireDeps, request: DescribeConfigsRequest, context: WireContext): DescribeConfigsResponse {
  const v0 = context.apiVersion === 0;
  const synonyms = request.includeSynonyms === true;
  const entry = (name: string, value: string, source: number, readOnly: boolean): DescribeConfigsResponseDescribeConfigsResourceResult => ({
    name,
    value,
    readOnly,
    ...(v0 ? { isDefault: source === SOURCE_DEFAULT_CONFIG } : { configSource: source }),
    isSensitive: false,
    ...(v0 ? {} : { synonyms: synonyms ? [{ name, value, source }] : [] }),
  });
  const results = request.resources.map((r) => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    const keys = r.configurationKeys === null ? null : new Set(r.configurationKeys);
    if (r.resourceType === RESOURCE_TOPIC) {
      if (deps.engine.image.topic(r.resourceName) === undefined) {
        return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `topic "${r.resourceName}" does not exist.`, configs: [] };
      }
      const configs = topicConfigEntries(deps, r.resourceName)
        .filter((e) => keys === null || keys.has(e.name))
        .map((e) => entry(e.name, e.value, e.source, false));
      return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs };
    }
    if (r.resourceType === RESOURCE_BROKER && (r.resourceName === '' || r.resourceName === String(deps.config.nodeId))) {
      const configs = Object.entries(deps.config.raw)
        .filter(([name]) => keys === null || keys.has(name))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => entry(name, value, SOURCE_STATIC_BROKER_CONFIG, true));
      return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs };
    }
    return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource type ${r.resourceType} "${r.resourceName}" is not served; topics (2) and this broker (4, "${deps.config.nodeId}") are.`, configs: [] };
  });
  return { throttleTimeMs: 0, results };
}

const STATIC_BROKER = (type: number, name: string): { errorCode: number; errorMessage: string; resourceType: number; resourceName: string } => ({
  errorCode: ErrorCode.INVALID_REQUEST,
  errorMessage: type === RESOURCE_BROKER ? 'broker settings are static: restart the broker with new flags, environment or config file.' : `resource type ${type} is not served; alter topics (2).`,
  resourceType: type,
  resourceName: name,
});

type AlterResult = { errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string };

/** The skeleton of both alter-config APIs: non-topic resources are static, each topic is altered by `alter`, a failure answered in its place. */
async function alterTopicResources<R extends { resourceType: number; resourceName: string }>(resources: readonly R[], alter: (r: R) => Promise<unknown>): Promise<AlterResult[]> {
  const responses: AlterResult[] = [];
  for (const r of resources) {
    if (r.resourceType !== RESOURCE_TOPIC) {
      responses.push(STATIC_BROKER(r.resourceType, r.resourceName));
      continue;
    }
    try {
      await alter(r);
      responses.push({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName });
    } catch (e) {
      responses.push({ ...failure(e), resourceType: r.resourceType, resourceName: r.resourceName });
    }
  }
  return responses;
}

export async function handleAlterConfigs(deps: WireDeps, request: AlterConfigsRequest): Promise<AlterConfigsResponse> {
  const responses = await alterTopicResources(request.resources, async (r) => {
    const configs: Record<string, string> = {};
    for (const c of r.configs) if (c.value !== null) configs[c.name] = c.value;
    await deps.engine.metadata.replaceTopicConfigs(r.resourceName, configs, { validateOnly: request.validateOnly });
  });
  return { throttleTimeMs: 0, responses };
}

export async function handleIncrementalAlterConfigs(deps: WireDeps, request: IncrementalAlterConfigsRequest): Promise<IncrementalAlterConfigsResponse> {
  const responses = await alterTopicResources(request.resources, async (r) => {
    if (deps.engine.image.topic(r.resourceName) === undefined) throw Object.assign(new Error(`topic "${r.resourceName}" does not exist.`), { code: 'UNKNOWN_TOPIC' });
    const effective = deps.engine.effectiveTopicConfigs(r.resourceName);
    const set: Record<string, string> = {};
    const remove: string[] = [];
    for (const c of r.configs) {
      const current = (set[c.name] ?? effective[c.name] ?? '').split(',').filter((v) => v !== '');
      const values = (c.value ?? '').split(',').filter((v) => v !== '');
      switch (c.configOperation) {
        case OP_SET:
          set[c.name] = c.value ?? '';
          break;
        case OP_DELETE:
          remove.push(c.name);
          break;
        case OP_APPEND:
          set[c.name] = [...current, ...values.filter((v) => !current.includes(v))].join(',');
          break;
        case OP_SUBTRACT:
          set[c.name] = current.filter((v) => !values.includes(v)).join(',');
          break;
        default:
          throw Object.assign(new Error(`config operation ${c.configOperation} is unknown (0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT).`), { code: 'INVALID_REQUEST' });
      }
    }
    await deps.engine.metadata.alterTopicConfigs(r.resourceName, set, remove, { validateOnly: request.validateOnly });
  });
  return { throttleTimeMs: 0, responses };
}

export async function handleDeleteRecords(deps: WireDeps, request: DeleteRecordsRequest): Promise<DeleteRecordsResponse> {
  const topics = [];
  for (const t of request.topics) {
    const partitions = [];
    for (const p of t.partitions) {
      try {
        const before = p.offset === -1n ? -1 : Number(p.offset);
        const out = (await deps.admin.deleteRecords(t.name, [{ partition: p.partitionIndex, before_offset: before }])) as { partitions: { low_watermark: number }[] };
        partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: BigInt(out.partitions[0]?.low_watermark ?? -1), errorCode: ErrorCode.NONE });
      } catch (e) {
        partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: kafkaFailure(e).code });
      }
    }
    topics.push({ name: t.name, partitions });
  }
  return { throttleTimeMs: 0, topics };
}
