// Operator API for the system-wide switch (admin key): pause all syncing and writes for everyone, resume,
// and read the state. While paused, writes answer 503 integration_paused with Retry-After, timers do
// nothing and webhook deliveries wait on their queue (shared/admin/pause.ts).
import { forgetCachedSwitches, getSystemState, pauseSchema, setSystemPause, systemStateSchema } from '../shared/admin/pause.js';
import { apiRoute } from '../shared/http/api-route.js';

const answers = { 200: systemStateSchema };
const tag = 'Admin';

export const manageSystemStatusFunction = apiRoute({
  name: 'manageSystemStatus',
  route: 'manage/system',
  method: 'GET',
  auth: 'adminKey',
  answers,
  problems: [],
  doc: { tag, summary: 'Whether the integration is paused' },
  handle: async ({ services }) => {
    forgetCachedSwitches(services); // the operator sees the stored state, not a cached copy
    return { status: 200, body: await getSystemState(services) };
  },
});

export const manageSystemPauseFunction = apiRoute({
  name: 'manageSystemPause',
  route: 'manage/system/pause',
  method: 'POST',
  auth: 'adminKey',
  body: pauseSchema.optional(),
  maxBodyBytes: 2048,
  answers,
  problems: [],
  doc: { tag, summary: 'Pause all syncing and writes, for everyone', example: { reason: 'incident 42', retryAfterSeconds: 600 } },
  handle: async ({ services, body }) => ({ status: 200, body: await setSystemPause(services, true, body ?? {}) }),
});

export const manageSystemResumeFunction = apiRoute({
  name: 'manageSystemResume',
  route: 'manage/system/resume',
  method: 'POST',
  auth: 'adminKey',
  answers,
  problems: [],
  doc: { tag, summary: 'Resume after a pause' },
  handle: async ({ services }) => ({ status: 200, body: await setSystemPause(services, false) }),
});

export const adminSystemFunctions = [manageSystemStatusFunction, manageSystemPauseFunction, manageSystemResumeFunction];
