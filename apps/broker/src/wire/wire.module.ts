import { Module } from '@nestjs/common';
import { WireServer } from './wire-server';

/** The Kafka wire door: a TCP listener over the core services. */
@Module({ providers: [WireServer], exports: [WireServer] })
export class WireModule {}
