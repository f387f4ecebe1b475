// A browser route's handler without a declaration (the local console's pages): failures become the same
// HTML pages as pageRoute's.
import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { pageForError } from './page-route.js';

export function browserHandler(fn: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>): HttpHandler {
  return async (request, context) => {
    try {
      return await fn(request, context);
    } catch (error) {
      return pageForError(error, context);
    }
  };
}
