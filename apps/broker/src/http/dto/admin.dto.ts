import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, ArrayMinSize, IsArray, IsBoolean, IsInt, IsObject, IsOptional, IsString, Min, ValidateNested } from 'class-validator';

export class CreateTopicDto {
  @ApiProperty({ example: 'orders', description: '1-249 characters of [a-zA-Z0-9._-]' })
  @IsString()
  name!: string;

  @ApiPropertyOptional({ example: 3, default: 'num.partitions' })
  @IsOptional()
  @IsInt()
  @Min(1)
  partitions?: number;

  @ApiPropertyOptional({ example: 1, default: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  replication_factor?: number;

  @ApiPropertyOptional({ example: { 'retention.ms': '86400000', 'cleanup.policy': 'delete' }, description: 'Topic configs with Kafka\'s names.' })
  @IsOptional()
  @IsObject()
  configs?: Record<string, unknown>;
}

export class CreatePartitionsDto {
  @ApiProperty({ example: 6, description: 'The new total partition count (grow only).' })
  @IsInt()
  @Min(1)
  count!: number;
}

export class DeleteRecordsPartitionDto {
  @ApiProperty({ example: 0 }) @IsInt() @Min(0) partition!: number;
  @ApiProperty({ example: 100, description: 'Records before this offset are deleted (-1 = the high watermark).' }) @IsInt() @Min(-1) before_offset!: number;
}

export class DeleteRecordsDto {
  @ApiProperty({ type: [DeleteRecordsPartitionDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => DeleteRecordsPartitionDto)
  partitions!: DeleteRecordsPartitionDto[];
}

export class ResetOffsetsDto {
  @ApiProperty({ example: 'orders' })
  @IsString()
  topic!: string;

  @ApiProperty({
    description: '"earliest" | "latest" | {"offset": n} | {"timestamp": ms} | {"shift_by": n}',
    example: 'earliest',
    oneOf: [{ type: 'string', enum: ['earliest', 'latest'] }, { type: 'object', example: { offset: 10 } }],
  })
  @Allow()
  to!: unknown;

  @ApiPropertyOptional({ type: [Number], description: 'Only these partitions (default: all).' })
  @IsOptional()
  @IsArray()
  @IsInt({ each: true })
  partitions?: number[];

  @ApiPropertyOptional({ default: false, description: 'Only show the plan.' })
  @IsOptional()
  @IsBoolean()
  dry_run?: boolean;
}

export class SegmentsQueryDto {
  @ApiPropertyOptional({ description: 'Add the batches of each segment.', enum: ['true', 'false'] })
  @IsOptional()
  @IsString()
  records?: string;
}
