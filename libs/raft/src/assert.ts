/** Assertions stay on in production: a broken invariant crashes loudly (STYLE.md, TigerBeetle). */
export class RaftAssertionError extends Error {
  override readonly name = 'RaftAssertionError';
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new RaftAssertionError(message);
}
