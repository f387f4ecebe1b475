import { describe, expect, it } from 'vitest';
import { findSlots, type SlotRules } from '../../shared/availability/slots.js';

const M = 60_000;
const H = 60 * M;
const day = Date.UTC(2031, 0, 6);
const at = (hours: number) => day + hours * H;
const rules = (overrides: Partial<SlotRules> = {}): SlotRules => ({
  window: { start: at(8), end: at(12) },
  durationMs: H,
  stepMs: H,
  anchor: at(8),
  bufferBeforeMs: 0,
  bufferAfterMs: 0,
  earliest: -Infinity,
  latest: Infinity,
  limit: 100,
  explain: false,
  ...overrides,
});
const hoursOf = (slots: { start: number }[]) => slots.map((s) => (s.start - day) / H);

describe('findSlots', () => {
  it('needs every member of an `all` group and at least N of an `any` group', () => {
    const people = [{ busy: [{ start: at(9), end: at(10) }] }, { busy: [{ start: at(10), end: at(11) }] }, { busy: [] }];
    expect(hoursOf(findSlots(people, [{ members: [0, 1], minimum: 2 }], rules()).slots)).toEqual([8, 11]);
    const anyOne = findSlots(people, [{ members: [0, 1], minimum: 1 }, { members: [2], minimum: 1 }], rules());
    expect(anyOne.slots.map((s) => [(s.start - day) / H, s.free])).toEqual([
      [8, [0, 1, 2]],
      [9, [1, 2]],
      [10, [0, 2]],
      [11, [0, 1, 2]],
    ]);
  });

  it('keeps buffers, working hours, notice and horizon, and gives each refused slot its reasons', () => {
    const person = { busy: [{ start: at(10), end: at(10.5) }], working: [{ start: at(8), end: at(11.5) }] };
    const answer = findSlots([person], [{ members: [0], minimum: 1 }], rules({ stepMs: 30 * M, bufferAfterMs: 30 * M, earliest: at(8.5), latest: at(9), explain: true }));
    expect(hoursOf(answer.slots)).toEqual([8.5, 9]);
    expect(answer.unavailable!.map((u) => [(u.start - day) / H, u.reasons.map((r) => r.reason).join('+')])).toEqual([
      [8, 'notice'],
      [9.5, 'horizon+busy'],
      [10, 'horizon+busy'],
      [10.5, 'horizon+buffer'],
      [11, 'horizon+outside_working_hours'],
    ]);
  });

  it('lists at most `limit` slots and says it truncated', () => {
    const answer = findSlots([{ busy: [] }], [{ members: [0], minimum: 1 }], rules({ stepMs: 15 * M, limit: 3 }));
    expect(answer).toMatchObject({ truncated: true });
    expect(hoursOf(answer.slots)).toEqual([8, 8.25, 8.5]);
  });

  it('starts slots on the anchor grid, not at the window start', () => {
    const answer = findSlots([{ busy: [] }], [{ members: [0], minimum: 1 }], rules({ window: { start: at(8) + 5 * M, end: at(10) }, anchor: 0, stepMs: 15 * M }));
    expect(hoursOf(answer.slots)[0]).toBe(8.25);
  });
});
