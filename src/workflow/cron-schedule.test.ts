import { describe, expect, it } from 'vitest';
import { activationsBetween, lastActivation, nextOfAll, parseCronSchedule } from './cron-schedule.js';

const iso = (d: Date | undefined) => d?.toISOString();
const runs = (spec: string, tz: string, from: string, to: string) => activationsBetween([parseCronSchedule(spec, tz)], new Date(from), new Date(to)).map((d) => d.toISOString());

describe('cron schedule math (robfig/cron v3 semantics)', () => {
  it('computes 5-field schedules in UTC from a fixed clock', () => {
    const s = parseCronSchedule('*/15 * * * *', 'UTC');
    expect(iso(s.next(new Date('2026-01-01T00:00:00Z')))).toBe('2026-01-01T00:15:00.000Z');
    expect(iso(s.next(new Date('2026-01-01T00:14:59.900Z')))).toBe('2026-01-01T00:15:00.000Z');
    expect(iso(s.next(new Date('2026-01-01T23:59:00Z')))).toBe('2026-01-02T00:00:00.000Z');
    expect(runs('0 9 * * MON-FRI', 'UTC', '2026-01-02T10:00:00Z', '2026-01-07T00:00:00Z')).toEqual(['2026-01-05T09:00:00.000Z', '2026-01-06T09:00:00.000Z']);
  });

  it('supports a seconds field, descriptors and month/day names', () => {
    expect(runs('*/20 * * * * *', 'UTC', '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z')).toEqual(['2026-01-01T00:00:20.000Z', '2026-01-01T00:00:40.000Z', '2026-01-01T00:01:00.000Z']);
    expect(iso(parseCronSchedule('@hourly', 'UTC').next(new Date('2026-01-01T00:30:00Z')))).toBe('2026-01-01T01:00:00.000Z');
    expect(iso(parseCronSchedule('@daily', 'UTC').next(new Date('2026-01-01T00:30:00Z')))).toBe('2026-01-02T00:00:00.000Z');
    expect(iso(parseCronSchedule('@weekly', 'UTC').next(new Date('2026-01-01T00:00:00Z')))).toBe('2026-01-04T00:00:00.000Z'); // a Sunday
    expect(iso(parseCronSchedule('@monthly', 'UTC').next(new Date('2026-01-15T00:00:00Z')))).toBe('2026-02-01T00:00:00.000Z');
    expect(iso(parseCronSchedule('@yearly', 'UTC').next(new Date('2026-01-15T00:00:00Z')))).toBe('2027-01-01T00:00:00.000Z');
    expect(iso(parseCronSchedule('0 0 1 jan,jul *', 'UTC').next(new Date('2026-02-01T00:00:00Z')))).toBe('2026-07-01T00:00:00.000Z');
    expect(iso(parseCronSchedule('0 12 * * 7', 'UTC').next(new Date('2026-01-01T00:00:00Z')))).toBe('2026-01-04T12:00:00.000Z');
  });

  it('ORs day-of-month and day-of-week when both are restricted, ANDs when one is a star', () => {
    expect(runs('0 0 1 * MON', 'UTC', '2026-01-01T00:00:00Z', '2026-02-03T00:00:00Z')).toEqual([
      '2026-01-05T00:00:00.000Z', '2026-01-12T00:00:00.000Z', '2026-01-19T00:00:00.000Z', '2026-01-26T00:00:00.000Z', '2026-02-01T00:00:00.000Z', '2026-02-02T00:00:00.000Z',
    ]);
    expect(runs('0 0 * * MON', 'UTC', '2026-01-01T00:00:00Z', '2026-01-13T00:00:00Z')).toEqual(['2026-01-05T00:00:00.000Z', '2026-01-12T00:00:00.000Z']);
  });

  it('@every counts from the given time in whole seconds', () => {
    const s = parseCronSchedule('@every 90s', 'UTC');
    expect(s.everyMs).toBe(90_000);
    expect(iso(s.next(new Date('2026-01-01T00:00:00.500Z')))).toBe('2026-01-01T00:01:30.000Z');
    expect(iso(lastActivation([s], new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:05:00Z')))).toBe('2026-01-01T00:04:30.000Z');
    expect(parseCronSchedule('@every 1h30m', 'UTC').everyMs).toBe(5_400_000);
    expect(parseCronSchedule('@every 100ms', 'UTC').everyMs).toBe(1000);
  });

  it('reads schedules in the time zone (spec.timezone, or a CRON_TZ= prefix that wins)', () => {
    expect(iso(parseCronSchedule('0 9 * * *', 'America/Los_Angeles').next(new Date('2026-01-01T00:00:00Z')))).toBe('2026-01-01T17:00:00.000Z');
    expect(iso(parseCronSchedule('0 9 * * *', 'Asia/Tokyo').next(new Date('2026-01-01T00:00:00Z')))).toBe('2026-01-02T00:00:00.000Z');
    expect(iso(parseCronSchedule('CRON_TZ=Europe/Berlin 0 9 * * *', 'America/Los_Angeles').next(new Date('2026-01-01T00:00:00Z')))).toBe('2026-01-01T08:00:00.000Z');
    expect(parseCronSchedule('0 9 * * *', 'America/Los_Angeles').timezone).toBe('America/Los_Angeles');
  });

  // Argo's documented DST behaviour (docs/cron-workflows.md "Daylight Saving"), which is robfig's:
  // a wall time in the spring-forward gap is skipped that day; one in the fall-back overlap runs twice.
  it('DST spring-forward: 02:30 does not exist in New York on 2026-03-08 and is skipped', () => {
    expect(runs('30 2 * * *', 'America/New_York', '2026-03-06T12:00:00Z', '2026-03-10T12:00:00Z')).toEqual([
      '2026-03-07T07:30:00.000Z', // 02:30 EST
      '2026-03-09T06:30:00.000Z', // 02:30 EDT — nothing on the 8th
      '2026-03-10T06:30:00.000Z',
    ]);
    // Hourly schedules just have one fewer run that night.
    expect(runs('0 * * * *', 'America/New_York', '2026-03-08T05:30:00Z', '2026-03-08T08:30:00Z')).toEqual(['2026-03-08T06:00:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T08:00:00.000Z']);
  });

  it('DST fall-back: 01:30 happens twice in New York on 2026-11-01 and runs twice; 02:30 runs once', () => {
    expect(runs('30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z', '2026-11-02T12:00:00Z')).toEqual([
      '2026-11-01T05:30:00.000Z', // 01:30 EDT
      '2026-11-01T06:30:00.000Z', // 01:30 EST
      '2026-11-02T06:30:00.000Z',
    ]);
    expect(runs('30 2 * * *', 'America/New_York', '2026-10-31T12:00:00Z', '2026-11-02T12:00:00Z')).toEqual(['2026-11-01T07:30:00.000Z', '2026-11-02T07:30:00.000Z']);
  });

  it("matches the table in Argo's docs for America/Los_Angeles 2020", () => {
    expect(runs('59 1 * * *', 'America/Los_Angeles', '2020-03-07T12:00:00Z', '2020-03-10T12:00:00Z')).toEqual(['2020-03-08T09:59:00.000Z', '2020-03-09T08:59:00.000Z', '2020-03-10T08:59:00.000Z']);
    expect(runs('0 2 * * *', 'America/Los_Angeles', '2020-03-07T12:00:00Z', '2020-03-11T12:00:00Z')).toEqual(['2020-03-09T09:00:00.000Z', '2020-03-10T09:00:00.000Z', '2020-03-11T09:00:00.000Z']);
    expect(runs('59 1 * * *', 'America/Los_Angeles', '2020-10-31T12:00:00Z', '2020-11-02T12:00:00Z')).toEqual(['2020-11-01T08:59:00.000Z', '2020-11-01T09:59:00.000Z', '2020-11-02T09:59:00.000Z']);
  });

  it('merges multiple schedules, one run per instant', () => {
    const both = [parseCronSchedule('*/3 * * * *', 'UTC'), parseCronSchedule('*/2 * * * *', 'UTC')];
    expect(activationsBetween(both, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:07:00Z')).map((d) => d.toISOString().slice(11, 16))).toEqual(['00:02', '00:03', '00:04', '00:06']);
    expect(iso(nextOfAll(both, new Date('2026-01-01T00:04:00Z')))).toBe('2026-01-01T00:06:00.000Z');
  });

  it('finds the most recent missed activation after downtime', () => {
    const s = parseCronSchedule('* * * * *', 'UTC');
    expect(iso(lastActivation([s], new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:05:30Z')))).toBe('2026-01-01T00:05:00.000Z');
    expect(lastActivation([s], new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:59Z'))).toBeUndefined();
    // A year of per-minute ticks is not walked one by one.
    expect(iso(lastActivation([s], new Date('2025-01-01T00:00:00Z'), new Date('2026-01-01T00:05:30Z')))).toBe('2026-01-01T00:05:00.000Z');
  });

  it('rejects bad schedules and zones with a reason', () => {
    expect(() => parseCronSchedule('* * *', 'UTC')).toThrow(/expected exactly 5 fields/);
    expect(() => parseCronSchedule('61 * * * *', 'UTC')).toThrow(/above maximum/);
    expect(() => parseCronSchedule('@fortnightly', 'UTC')).toThrow(/unrecognized descriptor/);
    expect(() => parseCronSchedule('@every soon', 'UTC')).toThrow(/failed to parse duration/);
    expect(() => parseCronSchedule('* * * * *', 'Mars/Olympus')).toThrow(/unknown time zone "Mars\/Olympus"/);
    expect(() => parseCronSchedule('5-1 * * * *', 'UTC')).toThrow(/beyond end of range/);
  });
});
