export * from './constants';
export * from './errors';
export * from './records';
export * from './uuid';
export * from './validation';
export * from './log-port';
export * from './image';
export * from './controller';
