// Holds every answer the app gives in any test to its description: an operation of the API (a route
// declaration with its doc, as the OpenAPI document lists them) may answer only the statuses it declares,
// and a problem only with a code it lists under that code's status. startAppHost wraps the handlers;
// close() fails on a breach.
import type { HttpHandler, HttpResponseInit } from '@azure/functions';
import { PROBLEM_CODES, type ProblemCode } from '../../shared/errors/catalogue.js';
import { apiOperations, operationProblems, type ApiOperation } from '../../shared/openapi/document.js';
import type { FunctionDefinition } from '../../shared/runtime/function-definitions.js';

export interface ContractCheck {
  definitions: FunctionDefinition[];
  breaches: string[];
}

function breachOf(op: ApiOperation, response: HttpResponseInit): string | undefined {
  const name = op.name;
  const status = response.status ?? 200;
  if (status < 400) return String(status) in op.answers ? undefined : `${name} answered ${status}, which it does not document`;
  let code: string | undefined;
  try {
    code = (JSON.parse(String(response.body)) as { code?: string }).code;
  } catch {
    return `${name} answered ${status} without a problem body`;
  }
  const listed = operationProblems(op).includes(code as ProblemCode);
  const known = PROBLEM_CODES[code as ProblemCode];
  if (!listed || known?.status !== status) return `${name} answered ${status} ${code}, which it does not list under ${status}`;
  return undefined;
}

export function checkAgainstDescription(definitions: readonly FunctionDefinition[]): ContractCheck {
  const breaches: string[] = [];
  const described = new Map(apiOperations(definitions).map((op) => [op.name, op]));
  const wrapped = definitions.map((d) => {
    const op = described.get(d.name);
    if (d.kind !== 'http' || !op) return d;
    const handler: HttpHandler = async (request, context) => {
      const response = await d.handler(request, context);
      const breach = breachOf(op, (response as HttpResponseInit | undefined) ?? { status: 204 });
      if (breach && !breaches.includes(breach)) breaches.push(breach);
      return response;
    };
    return { ...d, handler };
  });
  return { definitions: wrapped, breaches };
}
