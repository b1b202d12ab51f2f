/**
 * The version ranges this broker advertises in ApiVersions: for every API that has a handler, the
 * codec range (SUPPORTED_VERSIONS) capped to what the handler implements. Minimums are kept low
 * because librdkafka turns features off when a broker's minimum is above what it speaks.
 *
 * Why the caps: Produce from v3 (magic 2 batches only); Fetch from v4 (magic 2, isolation level)
 * to v12 (v13+ names topics by id); ListOffsets to v6 (v7 adds max-timestamp lookups);
 * ApiVersions to v3; InitProducerId to v4; JoinGroup to v8 (no KIP-814 skipAssignment). The other
 * group APIs (handlers/groups.ts) map every field of every generated version: full codec ranges.
 */
import { ApiKey, SUPPORTED_VERSIONS } from '@runnel/protocol';
import type { WireHandlerTable } from './handler';

export const VERSION_CAPS: Partial<Record<ApiKey, readonly [min: number, max: number]>> = {
  [ApiKey.ApiVersions]: [0, 3],
  [ApiKey.Metadata]: [0, 12],
  [ApiKey.Produce]: [3, 9],
  [ApiKey.Fetch]: [4, 12],
  [ApiKey.ListOffsets]: [0, 6],
  [ApiKey.CreateTopics]: [0, 7],
  [ApiKey.DeleteTopics]: [0, 6],
  [ApiKey.CreatePartitions]: [0, 3],
  [ApiKey.DescribeConfigs]: [0, 4],
  [ApiKey.AlterConfigs]: [0, 2],
  [ApiKey.IncrementalAlterConfigs]: [0, 1],
  [ApiKey.DeleteRecords]: [0, 2],
  [ApiKey.InitProducerId]: [0, 4],
  // v9 adds skipAssignment (KIP-814); the coordinator gives a rejoining static leader the pre-KIP-814 answer.
  [ApiKey.JoinGroup]: [0, 8],
};

export interface AdvertisedVersion {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/** The ApiVersions rows for `handlers`, sorted by API key. */
export function advertisedVersions(handlers: WireHandlerTable): AdvertisedVersion[] {
  const out: AdvertisedVersion[] = [];
  for (const s of SUPPORTED_VERSIONS) {
    if (handlers[s.apiKey] === undefined) continue;
    const cap = VERSION_CAPS[s.apiKey];
    const minVersion = Math.max(s.minVersion, cap?.[0] ?? s.minVersion);
    const maxVersion = Math.min(s.maxVersion, cap?.[1] ?? s.maxVersion);
    if (minVersion > maxVersion) continue;
    out.push({ apiKey: s.apiKey, minVersion, maxVersion });
  }
  return out.sort((a, b) => a.apiKey - b.apiKey);
}
