import type { WireHandlerTable } from '../handler';

export const groupHandlers: WireHandlerTable = {};
