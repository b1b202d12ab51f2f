import { AsyncResource, executionAsyncId } from 'node:async_hooks';
import { installAsyncResourceBindShim } from './node-compat';

describe('AsyncResource.prototype.bind shim', () => {
  beforeAll(() => installAsyncResourceBindShim());

  it('runs the function in the resource scope with its arguments, this and length', () => {
    const resource = new AsyncResource('test');
    const seen: { id: number; self: unknown; args: unknown[] }[] = [];
    function probe(this: unknown, a: number, b: number): number {
      seen.push({ id: executionAsyncId(), self: this, args: [a, b] });
      return a + b;
    }
    const bound = resource.bind(probe);
    expect(bound.length).toBe(2);
    const receiver = { name: 'caller' };
    expect(bound.call(receiver, 2, 3)).toBe(5);
    expect(seen[0]).toEqual({ id: resource.asyncId(), self: receiver, args: [2, 3] });
    const fixed = { name: 'fixed' };
    // @types/node declares bind(fn) only; Node's bind takes thisArg too (and Fastify passes none).
    (resource.bind as (fn: typeof probe, thisArg: unknown) => typeof probe)(probe, fixed).call(receiver, 1, 1);
    expect(seen[1]!.self).toBe(fixed);
    expect(() => resource.bind(42 as unknown as () => void)).toThrow(TypeError);
    expect(AsyncResource.bind((x: number) => x * 2)(21)).toBe(42);
  });
});
