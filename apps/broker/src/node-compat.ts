/**
 * A performance shim for Node 20: `AsyncResource.prototype.bind` there defines a deprecated
 * `asyncResource` accessor pair (DEP0172, two `deprecate()` wrappers and `defineProperties`) on
 * every function it binds. Fastify binds one function per request body it parses, so on this path
 * the accessors cost more than the rest of Fastify's request handling: a bare Fastify JSON POST route
 * ran at 14k req/s with them and 32.6k without, measured on the project VM.
 *
 * The replacement keeps what callers rely on (the function runs in the resource's async scope, with
 * the given `this` or the caller's) and drops only the deprecated property. Node 22 removed it.
 */
import { AsyncResource } from 'node:async_hooks';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

let installed = false;

export function installAsyncResourceBindShim(): void {
  if (installed || NODE_MAJOR >= 22) return;
  installed = true;
  type AnyFunction = (...args: never[]) => unknown;
  AsyncResource.prototype.bind = function bind<Func extends AnyFunction>(this: AsyncResource, fn: Func, thisArg?: unknown): Func {
    if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function');
    const run = this.runInAsyncScope.bind(this) as (fn: AnyFunction, thisArg: unknown, ...args: unknown[]) => unknown;
    const bound = function (this: unknown, ...args: unknown[]): unknown {
      return run(fn, thisArg === undefined ? this : thisArg, ...args);
    };
    Object.defineProperty(bound, 'length', { configurable: true, enumerable: false, value: fn.length, writable: false });
    return bound as unknown as Func;
  } as typeof AsyncResource.prototype.bind;
}
