export * from './constants';
export * from './errors';
export * from './time';
export * from './partitioning';
export * from './consumer-protocol';
export * from './assignors';
export * from './offsets-format';
export * from './offsets-log';
export * from './types';
export { GroupCoordinator, DEFAULT_COORDINATOR_CONFIG } from './coordinator';
export type { CoordinatorConfig, CoordinatorLogger, GroupCoordinatorOptions } from './coordinator';
export { ManagedMember } from './managed-member';
export type {
  AssignmentChange,
  ManagedCoordinatorPort,
  ManagedMemberError,
  ManagedMemberOptions,
  ManagedMemberState,
  ManagedSubscription,
  TopicMetadataSource,
} from './managed-member';
