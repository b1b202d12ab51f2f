import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { HeaderDto } from './produce.dto';

export class ReadQueryDto {
  @ApiPropertyOptional({ description: 'First offset to read, or earliest/latest. Below the log start reads from the log start.', example: '0', default: 'earliest' })
  @IsOptional()
  @Matches(/^(\d{1,19}|earliest|latest)$/, { message: 'offset must be a non-negative integer, "earliest" or "latest"' })
  offset?: string;

  @ApiPropertyOptional({ default: 500, minimum: 1, maximum: 10000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'max_records must be an integer' })
  @Min(1)
  @Max(10000)
  max_records?: number;

  @ApiPropertyOptional({ default: 1048576, minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'max_bytes must be an integer' })
  @Min(1)
  max_bytes?: number;

  @ApiPropertyOptional({ default: 0, minimum: 0, description: 'Long-poll: wait up to this long for records when none are there yet (at most http.long.poll.ms.max).' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'timeout_ms must be an integer' })
  @Min(0)
  timeout_ms?: number;

  @ApiPropertyOptional({ enum: ['json', 'string', 'binary'], default: 'json' })
  @IsOptional()
  @IsIn(['json', 'string', 'binary'])
  format?: 'json' | 'string' | 'binary';

  @ApiPropertyOptional({ enum: ['read_uncommitted', 'read_committed'], default: 'read_uncommitted' })
  @IsOptional()
  @IsIn(['read_uncommitted', 'read_committed'])
  isolation?: 'read_uncommitted' | 'read_committed';
}

export class RecordDto {
  @ApiProperty({ example: 'orders' }) topic!: string;
  @ApiProperty({ example: 0 }) partition!: number;
  @ApiProperty({ example: 41 }) offset!: number;
  @ApiProperty({ example: 1732190000000 }) timestamp!: number;
  @ApiProperty({ example: 'user-1', nullable: true }) key!: unknown;
  @ApiProperty({ example: { total: 42 }, nullable: true }) value!: unknown;
  @ApiProperty({ type: [HeaderDto] }) headers!: HeaderDto[];
}

export class ReadResponseDto {
  @ApiProperty({ type: [RecordDto] }) records!: RecordDto[];
  @ApiProperty({ example: 42, description: 'Offset to read next.' }) next_offset!: number;
  @ApiProperty({ example: 42 }) high_watermark!: number;
  @ApiProperty({ example: 0 }) log_start_offset!: number;
}

export class OffsetsQueryDto {
  @ApiPropertyOptional({ description: 'ms since the epoch or ISO-8601: answers the first offset with timestamp >= this.', example: 1732190000000 })
  @IsOptional()
  timestamp?: string;
}
