import { DynamicModule, Module } from '@nestjs/common';
import type { BrokerConfig } from './config/broker-config';
import { CoreModule } from './core/core.module';
import { HttpDoorModule } from './http/http-door.module';
import { LiveDoorModule } from './live/live.module';
import { WireModule } from './wire/wire.module';

@Module({})
export class AppModule {
  static forConfig(config: BrokerConfig): DynamicModule {
    return { module: AppModule, imports: [CoreModule.forConfig(config), HttpDoorModule, LiveDoorModule, WireModule] };
  }
}
