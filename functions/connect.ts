// The browser half of connecting: GET /api/connect/{linkId} (consume the link, go to Microsoft sign-in) and
// POST /api/connect-picker (the hosted calendar picker's form).
import { useConnectLink } from '../shared/connect/connect-links.js';
import { submitPicker } from '../shared/connect/picker.js';
import { startConnect } from '../shared/connect/start-connect.js';
import { startTenantConsent } from '../shared/spaces/tenant-consent.js';
import { browserHandler } from '../shared/http/browser-handler.js';
import { errorPage, redirect } from '../shared/http/html.js';
import { isAppError } from '../shared/errors/app-error.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';

const MAX_FORM_BYTES = 16 * 1024;

export const connectFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'connect',
  route: 'connect/{linkId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: browserHandler(async (request) => {
    const services = getServices();
    const link = await useConnectLink(request.params.linkId ?? '', services);
    const started = link.kind === 'tenant' ? await startTenantConsent(link, services) : await startConnect(link, services);
    // The cookie binds the attempt to this browser: the callback accepts the state only with it.
    return { ...redirect(started.url), cookies: [started.binding.cookie] };
  }),
};

export const connectPickerFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'connectPicker',
  route: 'connect-picker',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: browserHandler(async (request) => {
    const type = request.headers.get('content-type') ?? '';
    if (!/^application\/x-www-form-urlencoded\b/i.test(type)) return errorPage('unsupported_media_type', 'This form could not be read.');
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > MAX_FORM_BYTES) return errorPage('body_too_large', 'This form is too large.');
    const result = await submitPicker(getServices(), new URLSearchParams(new TextDecoder().decode(bytes)));
    if (isAppError(result)) return errorPage(result.code, result.message);
    if (result.kind === 'page') return result.response;
    return redirect(result.location, 303);
  }),
};
