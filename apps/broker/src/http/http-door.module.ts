import { Module } from '@nestjs/common';
import { AdminController } from './admin.controller';
import { CompatController } from './compat.controller';
import { ConsumersController } from './consumers.controller';
import { OpsController } from './ops.controller';
import { ProduceController } from './produce.controller';
import { ReadController } from './read.controller';

/** The REST door: thin controllers over the core services. */
@Module({ controllers: [ProduceController, ReadController, ConsumersController, AdminController, CompatController, OpsController] })
export class HttpDoorModule {}
