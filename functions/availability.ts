// POST /api/availability (API key): bookable slots for up to 50 of the caller's connections and spaces.
import { availabilityRequest, availabilityResponse, findAvailability } from '../shared/availability/availability.js';
import { CONNECTION_PROBLEMS } from '../shared/bookings/connection-access.js';
import { GRAPH_PROBLEMS } from '../shared/graph/graph-problems.js';
import { apiRoute } from '../shared/http/api-route.js';

export const availabilityFunction = apiRoute({
  name: 'availability',
  route: 'availability',
  method: 'POST',
  auth: 'apiKey',
  body: availabilityRequest,
  answers: { 200: availabilityResponse },
  problems: ['space_not_found', 'tenant_consent_required', ...CONNECTION_PROBLEMS, ...GRAPH_PROBLEMS],
  doc: {
    tag: 'Bookings',
    summary: 'Bookable slots for up to 50 connections and spaces: working hours, buffers, notice, horizon, groups, reasons',
    example: {
      connectionIds: ['c0a1b2c3-d4e5-4f60-8718-293a4b5c6d7e'],
      groups: [{ connectionIds: ['5b1e2f3a-8c9d-4e0f-a1b2-c3d4e5f60718', '9d8c7b6a-5f4e-4d3c-8b2a-190817263544'], minimumFree: 1 }],
      spaceIds: ['board-room'],
      start: '2030-05-06T08:00:00Z',
      end: '2030-05-10T17:00:00Z',
      durationMinutes: 60,
      alignMinutes: 15,
      bufferBeforeMinutes: 10,
      bufferAfterMinutes: 10,
      minimumNoticeMinutes: 120,
      workingHours: 'mailbox',
    },
  },
  handle: async ({ services, client, body }) => ({ status: 200, body: await findAvailability(services, client.rowKey, body) }),
});
