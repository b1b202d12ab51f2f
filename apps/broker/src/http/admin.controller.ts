import { Body, Controller, Delete, Get, HttpCode, Param, ParseIntPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminService } from '../core/admin.service';
import { invalid } from '../core/errors';
import { ErrorDto } from './dto/produce.dto';
import { CreatePartitionsDto, CreateTopicDto, DeleteRecordsDto, ResetOffsetsDto, SegmentsQueryDto } from './dto/admin.dto';

const partitionPipe = new ParseIntPipe({ exceptionFactory: () => invalid('partition must be a non-negative integer.') });

@ApiTags('admin')
@Controller('admin')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Get('cluster')
  @ApiOperation({ summary: 'Cluster', description: 'Cluster id, the active controller, the brokers and the version.' })
  @ApiOkResponse({ schema: { example: { cluster_id: 'kX3...', controller: 1, brokers: [{ id: 1, host: 'localhost', http_port: 8080, kafka_port: 9092 }], version: '0.1.0' } } })
  cluster(): unknown {
    return this.admin.cluster();
  }

  @Get('topics')
  @ApiOperation({ summary: 'List topics' })
  @ApiOkResponse({ schema: { example: [{ name: 'orders', partitions: 3, replication_factor: 1, internal: false }] } })
  listTopics(): unknown {
    return this.admin.listTopics();
  }

  @Post('topics')
  @ApiOperation({ summary: 'Create a topic', description: 'Configs use Kafka\'s names and are validated (unknown names and out-of-range values are refused with 42206).' })
  @ApiBody({ type: CreateTopicDto, examples: { basic: { value: { name: 'orders', partitions: 3 } }, compacted: { value: { name: 'users', partitions: 1, configs: { 'cleanup.policy': 'compact' } } } } })
  @ApiCreatedResponse({ description: 'The created topic, as GET /admin/topics/{t} shows it.' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'Topic exists (40901)' })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'Invalid name, partitions, replication factor or config (42206)' })
  createTopic(@Body() body: CreateTopicDto): Promise<unknown> {
    return this.admin.createTopic(body.name, body.partitions, body.replication_factor, body.configs ?? {});
  }

  @Get('topics/:topic')
  @ApiOperation({ summary: 'Describe a topic', description: 'Configs, and per partition: leader, replicas, isr, log_start_offset, high_watermark, size_bytes.' })
  @ApiParam({ name: 'topic', example: 'orders' })
  @ApiResponse({ status: 404, type: ErrorDto })
  describeTopic(@Param('topic') topic: string): unknown {
    return this.admin.describeTopic(topic);
  }

  @Delete('topics/:topic')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a topic' })
  @ApiParam({ name: 'topic', example: 'orders' })
  @ApiNoContentResponse()
  @ApiResponse({ status: 404, type: ErrorDto })
  async deleteTopic(@Param('topic') topic: string): Promise<void> {
    await this.admin.deleteTopic(topic);
  }

  @Patch('topics/:topic/configs')
  @ApiOperation({ summary: 'Alter topic configs', description: 'Sets the given configs (Kafka names); a null value removes an override.' })
  @ApiParam({ name: 'topic', example: 'orders' })
  @ApiBody({ schema: { example: { 'retention.ms': '3600000' } } })
  @ApiResponse({ status: 422, type: ErrorDto })
  alterConfigs(@Param('topic') topic: string, @Body() body: Record<string, unknown>): Promise<unknown> {
    return this.admin.alterConfigs(topic, body);
  }

  @Post('topics/:topic/partitions')
  @ApiOperation({ summary: 'Add partitions', description: 'Grows the topic to `count` partitions (never shrinks).' })
  @ApiParam({ name: 'topic', example: 'orders' })
  @ApiBody({ type: CreatePartitionsDto, examples: { grow: { value: { count: 6 } } } })
  createPartitions(@Param('topic') topic: string, @Body() body: CreatePartitionsDto): Promise<unknown> {
    return this.admin.createPartitions(topic, body.count);
  }

  @Post('topics/:topic/delete-records')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete records', description: 'Advances the log start offset of each partition to before_offset (Kafka DeleteRecords).' })
  @ApiParam({ name: 'topic', example: 'orders' })
  @ApiBody({ type: DeleteRecordsDto, examples: { one: { value: { partitions: [{ partition: 0, before_offset: 10 }] } } } })
  deleteRecords(@Param('topic') topic: string, @Body() body: DeleteRecordsDto): Promise<unknown> {
    return this.admin.deleteRecords(topic, body.partitions);
  }

  @Get('topics/:topic/partitions/:partition/segments')
  @ApiOperation({ summary: 'Segments of a partition', description: 'Base offset, size, record count, first/last timestamp per segment (the DumpLogSegments view); ?records=true adds batches.' })
  @ApiParam({ name: 'topic', example: 'orders' })
  @ApiParam({ name: 'partition', example: 0 })
  segments(@Param('topic') topic: string, @Param('partition', partitionPipe) partition: number, @Query() q: SegmentsQueryDto): Promise<unknown> {
    return this.admin.segments(topic, partition, q.records === 'true');
  }

  @Get('groups')
  @ApiOperation({ summary: 'List consumer groups' })
  @ApiOkResponse({ schema: { example: [{ group_id: 'billing', state: 'Stable', members: 2, protocol: 'range' }] } })
  listGroups(): unknown {
    return this.admin.listGroups();
  }

  @Get('groups/:group')
  @ApiOperation({ summary: 'Describe a consumer group', description: 'Members (with client kind: http, ws, kafka), assignments, and per partition committed offset, log end offset and lag.' })
  @ApiParam({ name: 'group', example: 'billing' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'Group not found (40405)' })
  describeGroup(@Param('group') group: string): unknown {
    return this.admin.describeGroup(group);
  }

  @Post('groups/:group/reset-offsets')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reset a group\'s offsets', description: 'Refused with 40903 while the group has members. dry_run shows the plan without committing.' })
  @ApiParam({ name: 'group', example: 'billing' })
  @ApiBody({ type: ResetOffsetsDto, examples: { earliest: { value: { topic: 'orders', to: 'earliest', dry_run: true } }, shift: { value: { topic: 'orders', to: { shift_by: -10 } } } } })
  resetOffsets(@Param('group') group: string, @Body() body: ResetOffsetsDto): Promise<unknown> {
    return this.admin.resetOffsets(group, body.topic, body.to, body.partitions, body.dry_run ?? false);
  }

  @Delete('groups/:group')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a consumer group', description: 'Only a group without members (40903 otherwise); its committed offsets are removed.' })
  @ApiParam({ name: 'group', example: 'billing' })
  async deleteGroup(@Param('group') group: string): Promise<void> {
    await this.admin.deleteGroup(group);
  }

  @Get('log-dirs')
  @ApiOperation({ summary: 'Log directories', description: 'Per directory and partition: size and offsets.' })
  logDirs(): unknown {
    return this.admin.logDirs();
  }
}
