// Operator API for outbound webhooks (admin key), under /api/manage like the client API: list and replay
// dead letters, rotate a client's signing secret (the new secret is shown this once).
import * as z from 'zod';
import { apiRoute } from '../shared/http/api-route.js';
import { deadLetterSchema, listDeadLetters, listDeadLettersQuery, replayClientDeadLetters, replayDeadLetter } from '../shared/webhooks/dead-letters.js';
import { freshConnectLink } from '../shared/webhooks/connection-events.js';
import { rotateSigningSecret, rotateSigningSecretSchema } from '../shared/webhooks/signing-secrets.js';

const tag = 'Admin';

export const manageDeadLettersListFunction = apiRoute({
  name: 'manageDeadLettersList',
  route: 'manage/dead-letters',
  method: 'GET',
  auth: 'adminKey',
  query: listDeadLettersQuery,
  answers: { 200: z.object({ value: z.array(deadLetterSchema), continuationToken: z.string().optional() }) },
  problems: [],
  doc: { tag, summary: 'Webhook deliveries that failed for 24 hours' },
  handle: async ({ services, query }) => ({ status: 200, body: await listDeadLetters(query, services) }),
});

export const manageDeadLetterReplayFunction = apiRoute({
  name: 'manageDeadLetterReplay',
  route: 'manage/dead-letters/{clientId}/{eventId}/replay',
  method: 'POST',
  auth: 'adminKey',
  params: z.object({ clientId: z.string(), eventId: z.string() }),
  answers: { 202: z.object({ replayed: deadLetterSchema }) },
  problems: ['not_found', 'replay_in_progress'],
  doc: { tag, summary: 'Deliver one dead letter again (same event id)' },
  handle: async ({ services, params }) => ({ status: 202, body: { replayed: await replayDeadLetter(params.clientId, params.eventId, services, freshConnectLink(services)) } }),
});

export const manageDeadLettersReplayClientFunction = apiRoute({
  name: 'manageDeadLettersReplayClient',
  route: 'manage/dead-letters/{clientId}/replay',
  method: 'POST',
  auth: 'adminKey',
  params: z.object({ clientId: z.string() }),
  answers: { 202: z.object({ replayed: z.number().int(), remaining: z.boolean() }) },
  problems: ['not_found'],
  doc: { tag, summary: "Deliver a client's dead letters again (at most 500 per call)" },
  handle: async ({ services, params }) => ({ status: 202, body: await replayClientDeadLetters(params.clientId, services, freshConnectLink(services)) }),
});

export const manageClientsRotateSigningSecretFunction = apiRoute({
  name: 'manageClientsRotateSigningSecret',
  route: 'manage/clients/{clientId}/rotate-signing-secret',
  method: 'POST',
  auth: 'adminKey',
  params: z.object({ clientId: z.string() }),
  body: rotateSigningSecretSchema.optional(),
  maxBodyBytes: 1024,
  answers: { 200: z.object({ clientId: z.string(), signingSecret: z.string(), activeSigningSecrets: z.number().int() }) },
  problems: ['not_found'],
  doc: { tag, summary: 'A new webhook signing secret (shown once); both sign until the next rotation unless revokePrevious', example: { revokePrevious: true } },
  handle: async ({ services, params, body }) => ({ status: 200, body: await rotateSigningSecret(params.clientId, body ?? {}, services) }),
});

export const adminWebhookFunctions = [manageDeadLettersListFunction, manageDeadLetterReplayFunction, manageDeadLettersReplayClientFunction, manageClientsRotateSigningSecretFunction];
