// GET /api/auth/callback: Microsoft sends the browser back here with a code (or an error) and our state,
// which must come with the binding cookie set when this browser opened the connect link.
import { browserMatches, clearedBinding } from '../shared/connect/browser-binding.js';
import { completeConnect } from '../shared/connect/complete-connect.js';
import { openPicker } from '../shared/connect/picker.js';
import { browserHandler } from '../shared/http/browser-handler.js';
import { errorPage, redirect } from '../shared/http/html.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { stateHash } from '../shared/store/repositories/oauth-states.js';

export const authCallbackFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'authCallback',
  route: 'auth/callback',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: browserHandler(async (request) => {
    const services = getServices();
    const base = services.config.publicBaseUrl;
    const query = new URL(request.url).searchParams;
    const outcome = await completeConnect(query, services, (key, stored) => browserMatches(request, base, key, stored));
    const state = query.get('state');
    const cookies = state && state.length <= 512 ? [clearedBinding(base, stateHash(state))] : [];
    switch (outcome.kind) {
      case 'redirect':
        return { ...redirect(outcome.location), cookies };
      case 'picker':
        return { ...(await openPicker(services, outcome.connection, outcome.calendars, outcome.returnUrl)), cookies };
      case 'page':
        return { ...errorPage(outcome.code, outcome.message, outcome.returnUrl), cookies };
    }
  }),
};
