// The online meeting provider comes from the booking calendar's settings, and the booking shows what the
// event says of its meeting (join URL possibly later than the create).
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors/app-error.js';
import { chooseMeetingProvider, meetingToKeep, newJoinUrl, onlineMeetingOf } from '../../shared/bookings/online-meeting.js';
import type { BookingEntity } from '../../shared/store/repositories/bookings.js';

describe('chooseMeetingProvider', () => {
  it("takes the calendar's default when it allows it", () => {
    expect(chooseMeetingProvider({ allowedOnlineMeetingProviders: ['skypeForBusiness', 'teamsForBusiness'], defaultOnlineMeetingProvider: 'teamsForBusiness' })).toBe('teamsForBusiness');
  });

  it('takes the first allowed provider when the default is unknown or not allowed', () => {
    expect(chooseMeetingProvider({ allowedOnlineMeetingProviders: ['unknown', 'teamsForConsumer'], defaultOnlineMeetingProvider: 'unknown' })).toBe('teamsForConsumer');
    expect(chooseMeetingProvider({ allowedOnlineMeetingProviders: ['skypeForConsumer'], defaultOnlineMeetingProvider: 'teamsForBusiness' })).toBe('skypeForConsumer');
  });

  it.each([[{ allowedOnlineMeetingProviders: ['unknown'], defaultOnlineMeetingProvider: 'unknown' }], [{ allowedOnlineMeetingProviders: [] }], [{}]])(
    'refuses %j with 422 online_meeting_unavailable naming isOnlineMeeting',
    (settings) => {
      let thrown: unknown;
      try {
        chooseMeetingProvider(settings);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(AppError);
      expect((thrown as AppError).code).toBe('online_meeting_unavailable');
      expect((thrown as AppError).status).toBe(422);
      expect((thrown as AppError).options?.field).toBe('isOnlineMeeting');
    },
  );
});

describe('the meeting a booking shows', () => {
  const joinUrl = 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0';
  const ready = { isOnlineMeeting: true, onlineMeetingProvider: 'teamsForBusiness', onlineMeeting: { joinUrl, conferenceId: '291633251', tollNumber: '+1 323-555-0166', tollFreeNumbers: null } };
  const pending = { isOnlineMeeting: true, onlineMeetingProvider: 'teamsForBusiness', onlineMeeting: null };
  const row = (onlineMeeting?: BookingEntity['onlineMeeting']) => ({ onlineMeeting }) as BookingEntity;

  it('reads the join URL and dial-in, and nothing for an event that is no meeting', () => {
    expect(onlineMeetingOf(ready)).toEqual({ provider: 'teamsForBusiness', joinUrl, conferenceId: '291633251', tollNumber: '+1 323-555-0166' });
    expect(onlineMeetingOf(pending)).toEqual({ provider: 'teamsForBusiness', joinUrl: null });
    expect(onlineMeetingOf({ isOnlineMeeting: false, onlineMeetingProvider: 'unknown', onlineMeeting: null })).toBeUndefined();
  });

  it('keeps a join URL already known over an answer without one', () => {
    const known = { provider: 'teamsForBusiness', joinUrl };
    expect(meetingToKeep({ id: 'e', ...pending }, known)).toEqual(known);
    expect(meetingToKeep({ id: 'e', ...pending }, undefined)).toEqual({ provider: 'teamsForBusiness', joinUrl: null });
  });

  it('reports a join URL once: new to the row, not again', () => {
    expect(newJoinUrl(ready, row({ provider: 'teamsForBusiness', joinUrl: null }))?.joinUrl).toBe(joinUrl);
    expect(newJoinUrl(ready, row({ provider: 'teamsForBusiness', joinUrl }))).toBeUndefined();
    expect(newJoinUrl(pending, row(undefined))).toBeUndefined();
  });
});
