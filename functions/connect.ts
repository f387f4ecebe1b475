// The browser half of connecting: GET /api/connect/{linkId} (consume the link, go to Microsoft sign-in) and
// POST /api/connect-picker (the hosted calendar picker's form).
import { assertConnectsOpen } from '../shared/admin/pause.js';
import { useConnectLink } from '../shared/connect/connect-links.js';
import { submitPicker } from '../shared/connect/picker.js';
import { startConnect } from '../shared/connect/start-connect.js';
import { redirect } from '../shared/http/html.js';
import { pageRoute } from '../shared/http/page-route.js';
import { isAppError } from '../shared/errors/app-error.js';
import { startTenantConsent } from '../shared/spaces/tenant-consent.js';

export const connectFunction = pageRoute({
  name: 'connect',
  route: 'connect/{linkId}',
  method: 'GET',
  handle: async ({ services, request }) => {
    // Paused: the person is told to come back, and the link stays unused so it still works after the resume.
    await assertConnectsOpen(services);
    const link = await useConnectLink(request.params.linkId ?? '', services);
    const started = link.kind === 'tenant' ? await startTenantConsent(link, services) : await startConnect(link, services);
    // The cookie binds the attempt to this browser: the callback accepts the state only with it.
    return { ...redirect(started.url), cookies: [started.binding.cookie] };
  },
});

export const connectPickerFunction = pageRoute({
  name: 'connectPicker',
  route: 'connect-picker',
  method: 'POST',
  form: { maxBytes: 16 * 1024 },
  handle: async ({ services, form }) => {
    const result = await submitPicker(services, form);
    if (isAppError(result)) throw result;
    return result.kind === 'page' ? result.response : redirect(result.location, 303);
  },
});
