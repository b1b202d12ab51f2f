export * from './crc32c';
export * from './batch-header';
