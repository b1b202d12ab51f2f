import { FakeScheduler, TimerScheduler } from './time';

describe('TimerScheduler', () => {
  it('runs a task after its delay and not after cancel', async () => {
    const scheduler = new TimerScheduler();
    const ran: string[] = [];
    const cancel = scheduler.schedule(1, () => ran.push('cancelled'));
    cancel();
    await new Promise<void>((resolve) => scheduler.schedule(2, () => {
      ran.push('ran');
      resolve();
    }));
    expect(ran).toEqual(['ran']);
    expect(() => scheduler.schedule(-1, () => undefined)).toThrow();
  });
});

describe('FakeScheduler', () => {
  it('runs due tasks in time order, ties in scheduling order, and moves the clock', async () => {
    const s = new FakeScheduler(1000);
    const seen: [string, number][] = [];
    s.schedule(20, () => seen.push(['b', s.nowMs()]));
    s.schedule(10, () => {
      seen.push(['a', s.nowMs()]);
      s.schedule(5, () => seen.push(['nested', s.nowMs()]));
    });
    s.schedule(20, () => seen.push(['c', s.nowMs()]));
    const cancel = s.schedule(15, () => seen.push(['x', s.nowMs()]));
    cancel();
    await s.advance(19);
    expect(seen).toEqual([
      ['a', 1010],
      ['nested', 1015],
    ]);
    expect(s.nowMs()).toBe(1019);
    await s.advance(1);
    expect(seen.slice(2)).toEqual([
      ['b', 1020],
      ['c', 1020],
    ]);
    expect(s.pendingCount).toBe(0);
  });
});
