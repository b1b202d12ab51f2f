import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow } from 'class-validator';

export class HeaderDto {
  @ApiProperty({ example: 'trace-id' }) name!: string;
  @ApiProperty({ example: 'abc123', nullable: true, type: String }) value!: string | null;
}

export class ProduceRecordDto {
  @ApiPropertyOptional({ description: 'Any JSON value (format=json), a string (format=string) or base64 (format=binary). Hashed with murmur2 to pick the partition.', example: 'user-1' })
  @Allow()
  key?: unknown;

  @ApiPropertyOptional({ description: 'Any JSON value (format=json), a string (format=string) or base64 (format=binary). Absent or null = tombstone.', example: { total: 42 } })
  @Allow()
  value?: unknown;

  @ApiPropertyOptional({ description: 'Array of {name, value} (repeats allowed) or an object {name: value}.', type: [HeaderDto] })
  @Allow()
  headers?: unknown;

  @ApiPropertyOptional({ description: 'Explicit partition (overrides the key hash).', example: 0 })
  @Allow()
  partition?: unknown;

  @ApiPropertyOptional({ description: 'ms since the epoch, or an ISO-8601 string; default: now.', example: 1732190000000 })
  @Allow()
  timestamp?: unknown;
}

/** One record, or `{"records": [...]}`. Shapes are checked field by field in the core (naming the field). */
export class ProduceRequestDto extends ProduceRecordDto {
  @ApiPropertyOptional({ type: [ProduceRecordDto], description: 'Several records: appended atomically per partition, one batch each.' })
  @Allow()
  records?: unknown;
}

export class ProducedOffsetDto {
  @ApiProperty({ example: 0 }) partition!: number;
  @ApiProperty({ example: 41, description: '-1 with acks=0' }) offset!: number;
  @ApiProperty({ example: 1732190000000 }) timestamp!: number;
}

export class ProduceResponseDto {
  @ApiProperty({ example: 'orders' }) topic!: string;
  @ApiProperty({ type: [ProducedOffsetDto] }) offsets!: ProducedOffsetDto[];
}

export class ErrorDto {
  @ApiProperty({ example: 40401 }) error_code!: number;
  @ApiProperty({ example: 'topic "orders" does not exist; create it with POST /admin/topics.' }) message!: string;
}
