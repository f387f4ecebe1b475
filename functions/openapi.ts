// GET /api/openapi.json (anonymous): the OpenAPI 3.1 description of the API (functions/api-description.ts),
// built from the very schemas and function definitions the app runs with.
import { httpHandler } from '../shared/http/handle.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';

export const openApiFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'openapi',
  route: 'openapi.json',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async () => {
    const { config } = getServices();
    // Loaded here: the description reads the function definitions, which include this function. The one
    // function file that reads others, as it describes them all.
    // eslint-disable-next-line no-restricted-syntax -- the registry and the API description, loaded lazily
    const [{ buildApiDocument }, { definitions }] = await Promise.all([import('./api-description.js'), import('./definitions.js')]);
    const routes = definitions.filter((d): d is HttpFunctionDefinition => d.kind === 'http');
    return {
      status: 200,
      headers: { 'Cache-Control': 'public, max-age=300' },
      jsonBody: buildApiDocument(routes, { version: config.version }),
    };
  }),
};
