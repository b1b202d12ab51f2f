export * from './assert';
export * from './constants';
export * from './log';
export * from './messages';
export * from './raft-node';
