import { LatencyStats, produceSummary } from './perf';

describe('LatencyStats', () => {
  it('weights percentiles by the records of each request', () => {
    const s = new LatencyStats();
    s.add(10, 90, 900);
    s.add(50, 9, 90);
    s.add(200, 1, 10);
    expect(s.records).toBe(100);
    expect(s.avgMs()).toBeCloseTo((10 * 90 + 50 * 9 + 200) / 100);
    expect(s.maxMs).toBe(200);
    expect(s.percentiles([0.5, 0.9, 0.95, 0.99, 0.999, 1])).toEqual([10, 10, 50, 50, 200, 200]);
  });

  it('is all zeros with no records', () => {
    const s = new LatencyStats();
    expect(s.percentiles([0.5, 0.99])).toEqual([0, 0]);
    expect(s.avgMs()).toBe(0);
  });

  it('prints Kafka\'s producer perf line', () => {
    const s = new LatencyStats();
    s.add(4, 1000, 1024 * 1024);
    expect(produceSummary(s, 2000, true)).toBe('1000 records sent, 500.0 records/sec (0.50 MB/sec), 4.00 ms avg latency, 4.00 ms max latency, 4 ms 50th, 4 ms 95th, 4 ms 99th, 4 ms 99.9th.');
    expect(produceSummary(s, 2000, false)).toBe('1000 records sent, 500.0 records/sec (0.50 MB/sec), 4.00 ms avg latency, 4.00 ms max latency.');
  });
});
