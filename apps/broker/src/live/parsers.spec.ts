import { DomainError } from '../core/errors';
import { parseCursor, parseFrom, parseFromQuery } from './parsers';
import { partitionKey } from './subscription';

describe('parseFrom (the contract\'s `from`)', () => {
  it('accepts every documented form', () => {
    expect(parseFrom(undefined)).toEqual({ kind: 'latest' });
    expect(parseFrom('latest')).toEqual({ kind: 'latest' });
    expect(parseFrom('earliest')).toEqual({ kind: 'earliest' });
    expect(parseFrom({ offset: 42 })).toEqual({ kind: 'offset', offset: 42n });
    expect(parseFrom({ timestamp: 1732190000000 })).toEqual({ kind: 'timestamp', timestampMs: 1732190000000n });
    expect(parseFrom({ offsets: { '0': 5, '3': 7 } })).toEqual({ kind: 'offsets', offsets: new Map([[0, 5n], [3, 7n]]) });
  });

  it.each([['yesterday'], [{ offset: -1 }], [{ offset: 1.5 }], [{ offset: 1, timestamp: 2 }], [{ offsets: { a: 1 } }], [{ offsets: [1] }], [42]])('refuses %j naming the field', (bad) => {
    expect(() => parseFrom(bad)).toThrow(DomainError);
  });
});

describe('SSE query parsing', () => {
  it('reads from= as latest, earliest, an offset, timestamp:<ms> or the JSON form', () => {
    expect(parseFromQuery(undefined)).toEqual({ kind: 'latest' });
    expect(parseFromQuery('earliest')).toEqual({ kind: 'earliest' });
    expect(parseFromQuery('17')).toEqual({ kind: 'offset', offset: 17n });
    expect(parseFromQuery('timestamp:1000')).toEqual({ kind: 'timestamp', timestampMs: 1000n });
    expect(parseFromQuery('{"offsets":{"1":4}}')).toEqual({ kind: 'offsets', offsets: new Map([[1, 4n]]) });
    expect(() => parseFromQuery('{"offset":')).toThrow(DomainError);
    expect(() => parseFromQuery('soon')).toThrow(DomainError);
  });

  it('reads a cursor as the next offset per partition, and refuses anything else', () => {
    expect(parseCursor('t', '0:13,1:5')).toEqual(new Map([[partitionKey('t', 0), 13n], [partitionKey('t', 1), 5n]]));
    expect(parseCursor('t', '2:9007199254740993')).toEqual(new Map([[partitionKey('t', 2), 9007199254740993n]]));
    for (const bad of ['', 'garbage', '0:1,', '0=1', '-1:2', '0:x']) expect(() => parseCursor('t', bad)).toThrow(DomainError);
  });
});
