// GET /api/auth/callback: Microsoft sends the browser back here with a code (or an error) and our state.
import { completeConnect } from '../shared/connect/complete-connect.js';
import { openPicker } from '../shared/connect/picker.js';
import { browserHandler } from '../shared/http/browser-handler.js';
import { errorPage, redirect } from '../shared/http/html.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';

export const authCallbackFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'authCallback',
  route: 'auth/callback',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: browserHandler(async (request) => {
    const services = getServices();
    const outcome = await completeConnect(new URL(request.url).searchParams, services);
    switch (outcome.kind) {
      case 'redirect':
        return redirect(outcome.location);
      case 'picker':
        return openPicker(services, outcome.connection, outcome.calendars, outcome.returnUrl);
      case 'page':
        return errorPage(outcome.status, outcome.code, outcome.message);
    }
  }),
};
