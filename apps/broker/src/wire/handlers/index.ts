/**
 * The dispatch table: one handler per API key, the door's own and the group APIs
 * (`./groups`), merged. ApiVersions advertises exactly the APIs in this table.
 */
import { ApiKey, ErrorCode, type ApiVersionsResponse } from '@runnel/protocol';
import type { WireHandlerTable } from '../handler';
import { advertisedVersions } from '../versions';
import { handleAlterConfigs, handleCreatePartitions, handleCreateTopics, handleDeleteRecords, handleDeleteTopics, handleDescribeConfigs, handleIncrementalAlterConfigs } from './admin';
import type { WireDeps } from './deps';
import { handleFetch } from './fetch';
import { groupHandlers } from './groups';
import { handleInitProducerId } from './init-producer-id';
import { handleListOffsets } from './list-offsets';
import { handleMetadata } from './metadata';
import { handleProduce } from './produce';

/** The ApiVersions body for `table` (also the v0 body of an UNSUPPORTED_VERSION answer). */
export function apiVersionsBody(table: WireHandlerTable, errorCode: number = ErrorCode.NONE): ApiVersionsResponse {
  return { errorCode, apiKeys: advertisedVersions(table), throttleTimeMs: 0 };
}

export function createHandlerTable(deps: WireDeps): WireHandlerTable {
  const table: WireHandlerTable = {
    ...groupHandlers(deps),
    [ApiKey.Metadata]: (r, c) => handleMetadata(deps, r, c),
    [ApiKey.Produce]: (r, c) => handleProduce(deps, r, c),
    [ApiKey.Fetch]: (r, c) => handleFetch(deps, r, c),
    [ApiKey.ListOffsets]: (r, c) => handleListOffsets(deps, r, c),
    [ApiKey.CreateTopics]: (r) => handleCreateTopics(deps, r),
    [ApiKey.DeleteTopics]: (r, c) => handleDeleteTopics(deps, r, c),
    [ApiKey.CreatePartitions]: (r) => handleCreatePartitions(deps, r),
    [ApiKey.DescribeConfigs]: (r, c) => handleDescribeConfigs(deps, r, c),
    [ApiKey.AlterConfigs]: (r) => handleAlterConfigs(deps, r),
    [ApiKey.IncrementalAlterConfigs]: (r) => handleIncrementalAlterConfigs(deps, r),
    [ApiKey.DeleteRecords]: (r) => handleDeleteRecords(deps, r),
    [ApiKey.InitProducerId]: (r) => handleInitProducerId(deps, r),
  };
  table[ApiKey.ApiVersions] = () => apiVersionsBody(table);
  return table;
}
