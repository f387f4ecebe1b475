// Operator API for the system-wide switch (admin key): pause all syncing and writes for everyone, resume,
// and read the state. While paused, writes answer 503 integration_paused with Retry-After, timers do
// nothing and webhook deliveries wait on their queue (shared/admin/pause.ts).
import { authenticateAdmin } from '../shared/http/authenticate-client.js';
import { httpHandler, readOptionalJson } from '../shared/http/handle.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { forgetCachedSwitches, getSystemState, pauseSchema, setSystemPause } from '../shared/admin/pause.js';

const json = (status: number, body: unknown) => ({ status, headers: { 'Cache-Control': 'no-store' }, jsonBody: body });

export const manageSystemStatusFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'manageSystemStatus',
  route: 'manage/system',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    await authenticateAdmin(request, services);
    forgetCachedSwitches(services); // the operator sees the stored state, not a cached copy
    return json(200, await getSystemState(services));
  }),
};

export const manageSystemPauseFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'manageSystemPause',
  route: 'manage/system/pause',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    await authenticateAdmin(request, services);
    const input = (await readOptionalJson(request, pauseSchema, 2048)) ?? {};
    return json(200, await setSystemPause(services, true, input));
  }),
};

export const manageSystemResumeFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'manageSystemResume',
  route: 'manage/system/resume',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    await authenticateAdmin(request, services);
    return json(200, await setSystemPause(services, false));
  }),
};

export const adminSystemFunctions = [manageSystemStatusFunction, manageSystemPauseFunction, manageSystemResumeFunction];
