/**
 * Server-Sent Events over real HTTP: event shape, cursors, resume with Last-Event-ID and
 * ?last_event_id= with no gap and no repeat, keep-alive comments, errors before the stream starts.
 */
import { TestBroker, startTestBroker } from '../helpers/broker';
import { SseReader, createTopic, produce } from './live-helpers';

jest.setTimeout(60_000);

let b: TestBroker;
const readers: SseReader[] = [];

async function stream(path: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const r = new SseReader();
  readers.push(r);
  await r.open(`${b.url}${path}`, headers);
  return r;
}

beforeAll(async () => {
  b = await startTestBroker();
});

afterEach(() => {
  for (const r of readers.splice(0)) r.close();
});

afterAll(async () => {
  await b.close();
});

describe('GET /topics/{topic}/events', () => {
  it('sends each record as an event with a cursor id naming every partition', async () => {
    await createTopic(b.url, 'sse-shape', 2);
    await produce(b.url, 'sse-shape', [{ value: 'old', partition: 1 }]);
    const s = await stream('/topics/sse-shape/events');
    expect(s.status).toBe(200);
    expect(s.contentType).toContain('text/event-stream');
    // The starting cursor comes first, as an id-only event (a browser keeps it as lastEventId).
    await s.until(() => s.lastEventId !== '', 'the starting cursor');
    expect(s.lastEventId).toBe('0:0,1:1');
    await produce(b.url, 'sse-shape', [
      { key: 'a', value: { n: 1 }, partition: 0 },
      { value: { n: 2 }, partition: 1 },
      { value: { n: 3 }, partition: 0 },
    ]);
    await s.until(() => s.events.length === 3, 'three events');
    expect(s.events.map((e) => e.event)).toEqual(['record', 'record', 'record']);
    const records = s.records();
    expect(records.find((r) => r.value.n === 1)).toEqual({ topic: 'sse-shape', partition: 0, offset: 0, timestamp: expect.any(Number), key: 'a', value: { n: 1 }, headers: [] });
    // Ids are cursors: the next offset of every partition after that record.
    const ids = s.events.map((e) => e.id);
    expect(ids[ids.length - 1]).toBe('0:2,1:2');
    expect(new Set(ids).size).toBe(3);
    for (const e of s.events) {
      const r = JSON.parse(e.data);
      expect(e.id).toContain(`${r.partition}:${r.offset + 1}`);
    }
  });

  it('resumes with Last-Event-ID and with ?last_event_id=: no gap, no repeat', async () => {
    await createTopic(b.url, 'sse-resume', 3);
    const total = 90;
    await produce(b.url, 'sse-resume', Array.from({ length: 30 }, (_, i) => ({ value: i, partition: i % 3 })));
    const s1 = await stream('/topics/sse-resume/events?from=earliest');
    await s1.until(() => s1.events.length >= 10, '10 events');
    // Stop in the middle of the stream, as a browser losing its connection.
    s1.close();
    const seen1 = s1.records().map((r) => r.value as number);
    const cursor1 = s1.lastEventId;
    await produce(b.url, 'sse-resume', Array.from({ length: 30 }, (_, i) => ({ value: 30 + i, partition: i % 3 })));
    const s2 = await stream('/topics/sse-resume/events?from=earliest', { 'last-event-id': cursor1 });
    await s2.until(() => seen1.length + s2.events.length >= 60, 'the rest of the first 60');
    s2.close();
    const seen2 = s2.records().map((r) => r.value as number);
    const cursor2 = s2.lastEventId;
    await produce(b.url, 'sse-resume', Array.from({ length: 30 }, (_, i) => ({ value: 60 + i, partition: i % 3 })));
    const s3 = await stream(`/topics/sse-resume/events?last_event_id=${encodeURIComponent(cursor2)}`);
    await s3.until(() => seen1.length + seen2.length + s3.events.length >= total, 'all records');
    const all = [...seen1, ...seen2, ...s3.records().map((r) => r.value as number)].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: total }, (_, i) => i));
    // Per partition, offsets ascend across the three connections.
    expect(s3.lastEventId).toBe('0:30,1:30,2:30');
  });

  it('resumes with no gap when the connection drops before any record arrived', async () => {
    await createTopic(b.url, 'sse-quiet', 1);
    await produce(b.url, 'sse-quiet', [{ value: 'a' }]);
    const s1 = await stream('/topics/sse-quiet/events');
    await s1.until(() => s1.lastEventId !== '', 'the starting cursor');
    s1.close();
    await produce(b.url, 'sse-quiet', [{ value: 'b' }]);
    const s2 = await stream('/topics/sse-quiet/events', { 'last-event-id': s1.lastEventId });
    await s2.until(() => s2.events.length === 1, 'the record produced while away');
    expect(s2.records().map((r) => r.value)).toEqual(['b']);
  });

  it('filters partitions, reads from an offset, renders formats and sends keep-alive comments', async () => {
    await createTopic(b.url, 'sse-query', 2);
    await produce(b.url, 'sse-query', Array.from({ length: 6 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })));
    const s = await stream('/topics/sse-query/events?partitions=1&from=1&format=string&keep_alive_ms=200');
    await s.until(() => s.events.length === 2, 'two events');
    expect(s.records().map((r) => [r.partition, r.offset, r.value])).toEqual([
      [1, 1, '"v3"'],
      [1, 2, '"v5"'],
    ]);
    expect(s.events.map((e) => e.id)).toEqual(['1:2', '1:3']);
    await s.until(() => s.comments.filter((c) => c === 'keep-alive').length >= 2, 'keep-alive comments');
  });

  it('reads as a consumer group member and commits what it delivered', async () => {
    await createTopic(b.url, 'sse-group', 2);
    await produce(b.url, 'sse-group', Array.from({ length: 4 }, (_, i) => ({ value: i, partition: i % 2 })));
    const s = await stream('/topics/sse-group/events?group=sse-g&from=earliest');
    await s.until(() => s.events.length === 4, 'four events');
    const described = (await (await fetch(`${b.url}/admin/groups/sse-g`)).json()) as { members: unknown[] };
    expect(described.members).toHaveLength(1);
    s.close();
    // Once the broker has seen the stream close, the member has left and committed what it sent.
    for (;;) {
      const g = (await (await fetch(`${b.url}/admin/groups/sse-g`)).json()) as { members: unknown[]; offsets: { committed_offset: number }[] };
      if (g.members.length === 0) {
        expect(g.offsets.map((o) => o.committed_offset)).toEqual([2, 2]);
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    // A new member starts after the committed offsets.
    await produce(b.url, 'sse-group', [{ value: 'next', partition: 0 }]);
    const again = await stream('/topics/sse-group/events?group=sse-g&from=earliest');
    await again.until(() => again.events.length === 1, 'the one new record');
    expect(again.records().map((r) => r.value)).toEqual(['next']);
  });

  it('answers errors in JSON before the stream starts', async () => {
    const missing = await stream('/topics/sse-none/events');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.errorBody)).toMatchObject({ error_code: 40401 });
    await createTopic(b.url, 'sse-errors', 1);
    const badCursor = await stream('/topics/sse-errors/events', { 'last-event-id': 'garbage' });
    expect(badCursor.status).toBe(422);
    expect(JSON.parse(badCursor.errorBody)).toMatchObject({ error_code: 42206 });
    const badFrom = await stream('/topics/sse-errors/events?from=99');
    expect(badFrom.status).toBe(416);
    const badPartition = await stream('/topics/sse-errors/events?partitions=3');
    expect(badPartition.status).toBe(404);
    expect(JSON.parse(badPartition.errorBody)).toMatchObject({ error_code: 40402 });
  });
});
