/**
 * @runnel/protocol: Kafka RPC codecs generated from Apache Kafka's JSON message schemas
 * (scripts/protocol-gen), the frame reader, and Kafka's error codes.
 */
export * from './constants';
export * from './errors';
export * from './error-codes';
export * from './values';
export { Reader } from './reader';
export { Writer } from './writer';
export { FrameReader } from './frame';
export * from './codec';
export * from './generated';
