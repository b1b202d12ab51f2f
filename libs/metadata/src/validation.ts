/**
 * Validation of command input: Kafka's topic name rules and config checks. Each failure is a
 * MetadataError whose message names the problem and the fix.
 */
import {
  CONFIG_NAME_LENGTH_MAX,
  CONFIG_VALUE_BYTES_MAX,
  CONFIGS_PER_RESOURCE_MAX,
  METADATA_TOPIC_NAME,
  TOPIC_NAME_LENGTH_MAX,
  TOPIC_NAME_PATTERN,
} from './constants';
import { MetadataErrorCode, metadataError } from './errors';
import { LogConfigError, parseLogConfig } from '@runnel/storage';

/** Kafka's `Topic.validate`: 1-249 chars of [a-zA-Z0-9._-], not "." or "..". */
export function validateTopicName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw metadataError(MetadataErrorCode.InvalidTopic, 'Topic name is empty: give 1 to 249 characters of a-z, A-Z, 0-9, ".", "_" or "-".');
  }
  if (name === '.' || name === '..') {
    throw metadataError(MetadataErrorCode.InvalidTopic, `Topic name "${name}" is not allowed: "." and ".." are reserved. Choose another name.`);
  }
  if (name.length > TOPIC_NAME_LENGTH_MAX) {
    throw metadataError(
      MetadataErrorCode.InvalidTopic,
      `Topic name is ${name.length} characters long; the maximum is ${TOPIC_NAME_LENGTH_MAX}. Choose a shorter name.`,
    );
  }
  if (!TOPIC_NAME_PATTERN.test(name)) {
    throw metadataError(
      MetadataErrorCode.InvalidTopic,
      `Topic name "${name}" has characters other than a-z, A-Z, 0-9, ".", "_" and "-". Choose a name made of those only.`,
    );
  }
  if (name === METADATA_TOPIC_NAME) {
    throw metadataError(MetadataErrorCode.InvalidTopic, `Topic name "${name}" is the metadata log's and cannot be used. Choose another name.`);
  }
}

/**
 * Validates config overrides: their number and sizes here, names and values by the log engine's own
 * parser (the one source of truth for topic configs). Returns the overrides as given.
 */
export function validateTopicConfigs(topicName: string, configs: Record<string, string>): Record<string, string> {
  const entries = Object.entries(configs);
  if (entries.length > CONFIGS_PER_RESOURCE_MAX) {
    throw metadataError(
      MetadataErrorCode.InvalidConfig,
      `Topic "${topicName}" would have ${entries.length} config overrides; the maximum is ${CONFIGS_PER_RESOURCE_MAX}.`,
    );
  }
  for (const [name, value] of entries) {
    if (name.length === 0 || name.length > CONFIG_NAME_LENGTH_MAX) {
      throw metadataError(MetadataErrorCode.InvalidConfig, `Config name "${name}" must have 1 to ${CONFIG_NAME_LENGTH_MAX} characters.`);
    }
    if (typeof value !== 'string') {
      throw metadataError(MetadataErrorCode.InvalidConfig, `Config "${name}" of topic "${topicName}" must be a string value, as in Kafka.`);
    }
    if (Buffer.byteLength(value, 'utf8') > CONFIG_VALUE_BYTES_MAX) {
      throw metadataError(MetadataErrorCode.InvalidConfig, `Config "${name}" of topic "${topicName}" is longer than ${CONFIG_VALUE_BYTES_MAX} bytes.`);
    }
  }
  try {
    parseLogConfig(configs);
  } catch (error) {
    // LogConfigError names the key, the value and the valid range; anything else is a bug.
    if (error instanceof LogConfigError) throw metadataError(MetadataErrorCode.InvalidConfig, `Topic "${topicName}": ${error.message}`, error);
    throw error;
  }
  return configs;
}
