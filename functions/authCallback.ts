// GET /api/auth/callback: Microsoft sends the browser back here with a code (or an error) and our state,
// which must come with the binding cookie set when this browser opened the connect link.
import { browserMatches, clearedBindingsFor } from '../shared/connect/browser-binding.js';
import { completeConnect } from '../shared/connect/complete-connect.js';
import { openPicker } from '../shared/connect/picker.js';
import { errorPage, redirect } from '../shared/http/html.js';
import { pageRoute } from '../shared/http/page-route.js';

export const authCallbackFunction = pageRoute({
  name: 'authCallback',
  route: 'auth/callback',
  method: 'GET',
  handle: async ({ services, request, query }) => {
    const base = services.config.publicBaseUrl;
    const outcome = await completeConnect(query, services, (key, stored) => browserMatches(request, base, key, stored));
    const cookies = clearedBindingsFor(base, query.get('state'));
    switch (outcome.kind) {
      case 'redirect':
        return { ...redirect(outcome.location), cookies };
      case 'picker':
        return { ...(await openPicker(services, outcome.connection, outcome.calendars, outcome.returnUrl)), cookies };
      case 'page':
        return { ...errorPage(outcome.code, outcome.message, outcome.returnUrl, outcome.final), cookies };
    }
  },
});
