// POST /api/availability (API key): free slots common to up to 50 of the caller's connections.
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
  problems: [...CONNECTION_PROBLEMS, ...GRAPH_PROBLEMS],
  doc: {
    tag: 'Bookings',
    summary: 'Free slots common to up to 50 connections',
    example: { connectionIds: ['c0a1b2c3-d4e5-4f60-8718-293a4b5c6d7e'], start: '2030-05-06T08:00:00Z', end: '2030-05-06T17:00:00Z', durationMinutes: 60, slotMinutes: 30 },
  },
  handle: async ({ services, client, body }) => ({ status: 200, body: await findAvailability(services, client.rowKey, body) }),
});
