// GET /api/health (anonymous): 200 when every dependency answers, 503 naming the ones that failed.
import * as z from 'zod';
import { sharedHealthReport, type HealthReport } from '../shared/health/health-checks.js';
import { apiRoute } from '../shared/http/api-route.js';

const report = z.custom<HealthReport>();

export const healthFunction = apiRoute({
  name: 'health',
  route: 'health',
  method: 'GET',
  auth: 'none',
  answers: { 200: report, 503: report },
  problems: [],
  headers: { 'Content-Type': 'application/json; charset=utf-8' },
  handle: async ({ services }) => {
    const body = await sharedHealthReport(services);
    return body.status === 'ok' ? { status: 200, body } : { status: 503, body };
  },
});
