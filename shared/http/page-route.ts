// The adapter's variant for the routes a person's browser opens (connect, callbacks, picker): the same
// declaration and services, but the answers are pages and redirects, and every failure is an HTML page
// with the security headers, never JSON and never internals.
import type { HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { describeError } from '../logging.js';
import type { HttpFunctionDefinition } from '../runtime/function-definitions.js';
import { httpDefinition } from './api-route.js';
import { getServices, type Services } from '../services.js';
import { isDependencyOutage } from './handle.js';
import { errorPage } from './html.js';
import { AppError, isAppError } from '../errors/app-error.js';

export interface PageInput {
  services: Services;
  request: HttpRequest;
  context: InvocationContext;
  /** The URL's query parameters. */
  query: URLSearchParams;
  /** A form post's fields (routes that declare `form`). */
  form: URLSearchParams;
}

export interface PageDeclaration {
  name: string;
  route: string;
  method: HttpMethod;
  /** An application/x-www-form-urlencoded body of at most this many bytes. */
  form?: { maxBytes: number };
  handle(input: PageInput): Promise<HttpResponseInit>;
}

export function pageRoute(declaration: PageDeclaration): HttpFunctionDefinition {
  const { handle, form, ...description } = declaration;
  return httpDefinition({ ...description, auth: 'browserPage', answers: {}, problems: [] }, async (request, context) => {
    try {
      const fields = form ? await readForm(request, form.maxBytes) : new URLSearchParams();
      return await handle({ services: getServices(), request, context, query: new URL(request.url).searchParams, form: fields });
    } catch (error) {
      return pageForError(error, context);
    }
  });
}

async function readForm(request: HttpRequest, maxBytes: number): Promise<URLSearchParams> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) throw new AppError('unsupported_media_type', 'This form could not be read.');
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > maxBytes) throw new AppError('body_too_large', 'This form is too large.');
  return new URLSearchParams(new TextDecoder().decode(bytes));
}

export function pageForError(error: unknown, context: InvocationContext): HttpResponseInit {
  if (isAppError(error)) {
    const page = errorPage(error.code, error.message);
    // Retry-After (a pause) tells the browser and any proxy when to come back.
    return error.options.headers?.['Retry-After'] ? { ...page, headers: { ...(page.headers as Record<string, string>), 'Retry-After': error.options.headers['Retry-After'] } } : page;
  }
  if (isDependencyOutage(error)) {
    context.warn(`dependency unavailable: ${describeError(error)}`);
    return errorPage('dependency_unavailable', 'The service is temporarily unavailable. Please try again in a minute.');
  }
  context.error(`unhandled error: ${describeError(error)}`);
  return errorPage('internal_error', 'Something went wrong on our side.');
}
