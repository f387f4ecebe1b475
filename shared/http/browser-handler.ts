// httpHandler's twin for the routes a person's browser opens (connect, callback, picker): every failure is
// an HTML page with the security headers, never JSON and never internals.
import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { describeError } from '../logging.js';
import { errorPage } from './html.js';
import { isDependencyOutage } from './handle.js';
import { isAppError } from '../errors/app-error.js';

export function browserHandler(fn: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>): HttpHandler {
  return async (request, context) => {
    try {
      return await fn(request, context);
    } catch (error) {
      if (isAppError(error)) return errorPage(error.code, error.message);
      if (isDependencyOutage(error)) {
        context.warn(`dependency unavailable: ${describeError(error)}`);
        return errorPage('dependency_unavailable', 'The service is temporarily unavailable. Please try again in a minute.');
      }
      context.error(`unhandled error: ${describeError(error)}`);
      return errorPage('internal_error', 'Something went wrong on our side.');
    }
  };
}
