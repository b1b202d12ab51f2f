import { Injectable } from '@nestjs/common';
import type { BrokerConfig } from '../config/broker-config';

/** The validated broker configuration, as a provider. */
@Injectable()
export class BrokerConfigService {
  constructor(readonly value: BrokerConfig) {}
}
