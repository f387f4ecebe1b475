// @azure/functions is a webpack-bundled CommonJS module: Node's ESM loader detects `app`, `output`... as
// named exports but not the classes. Take them from the default export (module.exports) instead.
import azureFunctions from '@azure/functions';

export const { HttpRequest, HttpResponse, InvocationContext } = azureFunctions;
export type HttpRequest = InstanceType<typeof HttpRequest>;
export type HttpResponse = InstanceType<typeof HttpResponse>;
export type InvocationContext = InstanceType<typeof InvocationContext>;
