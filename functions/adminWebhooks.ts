// Operator API for outbound webhooks (admin key), under /api/manage like the client API: list and replay
// dead letters, rotate a client's signing secret (the new secret is shown this once).
import { authenticateAdmin } from '../shared/http/authenticate-client.js';
import { httpHandler, parseWith, readOptionalJson } from '../shared/http/handle.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices, type Services } from '../shared/services.js';
import { listDeadLetters, listDeadLettersQuery, replayClientDeadLetters, replayDeadLetter, type FreshConnectLink } from '../shared/webhooks/dead-letters.js';
import { rotateSigningSecret, rotateSigningSecretSchema } from '../shared/webhooks/signing-secrets.js';
import { reauthConnectLink } from '../shared/webhooks/connection-events.js';

const json = (status: number, body: unknown) => ({ status, headers: { 'Cache-Control': 'no-store' }, jsonBody: body });

/** A replayed connection.needs_reauth event carries a new link while the connection still needs one. */
function freshConnectLink(services: Services): FreshConnectLink {
  return async (clientId, connectionId) => {
    const found = await services.store.connections.getConnection(clientId, connectionId);
    return found?.entity.status === 'needs_reauth' ? reauthConnectLink(found.entity, services) : null;
  };
}

export const manageDeadLettersListFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'manageDeadLettersList',
  route: 'manage/dead-letters',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    await authenticateAdmin(request, services);
    const query = parseWith(listDeadLettersQuery, Object.fromEntries(request.query.entries()));
    return json(200, await listDeadLetters(query, services));
  }),
};

export const manageDeadLetterReplayFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'manageDeadLetterReplay',
  route: 'manage/dead-letters/{clientId}/{eventId}/replay',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    await authenticateAdmin(request, services);
    const { clientId = '', eventId = '' } = request.params;
    return json(202, { replayed: await replayDeadLetter(clientId, eventId, services, freshConnectLink(services)) });
  }),
};

export const manageDeadLettersReplayClientFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'manageDeadLettersReplayClient',
  route: 'manage/dead-letters/{clientId}/replay',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    await authenticateAdmin(request, services);
    return json(202, await replayClientDeadLetters(request.params.clientId ?? '', services, freshConnectLink(services)));
  }),
};

export const manageClientsRotateSigningSecretFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'manageClientsRotateSigningSecret',
  route: 'manage/clients/{clientId}/rotate-signing-secret',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    await authenticateAdmin(request, services);
    const input = (await readOptionalJson(request, rotateSigningSecretSchema, 1024)) ?? {};
    return json(200, await rotateSigningSecret(request.params.clientId ?? '', input, services));
  }),
};

export const adminWebhookFunctions = [
  manageDeadLettersListFunction,
  manageDeadLetterReplayFunction,
  manageDeadLettersReplayClientFunction,
  manageClientsRotateSigningSecretFunction,
];
