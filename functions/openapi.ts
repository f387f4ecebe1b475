// GET /api/openapi.json (anonymous): the OpenAPI 3.1 description of the API, built from the route
// declarations the app runs with (shared/openapi/document.ts).
import * as z from 'zod';
import { apiRoute } from '../shared/http/api-route.js';
import { buildOpenApiDocument } from '../shared/openapi/document.js';

export const openApiFunction = apiRoute({
  name: 'openapi',
  route: 'openapi.json',
  method: 'GET',
  auth: 'none',
  answers: { 200: z.record(z.string(), z.unknown()) },
  problems: [],
  handle: async ({ services }) => {
    // Loaded here: the list of definitions includes this function. The one function file that reads the
    // registry, as the document describes every route.
    // eslint-disable-next-line no-restricted-syntax -- the registry, loaded lazily
    const { definitions } = await import('./definitions.js');
    return {
      status: 200,
      headers: { 'Cache-Control': 'public, max-age=300' },
      body: buildOpenApiDocument(definitions, { version: services.config.version }),
    };
  },
});
