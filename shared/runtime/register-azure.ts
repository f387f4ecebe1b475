// Registers the declarations with the Azure Functions host (a no-op outside it: @azure/functions' app.* calls
// find no host, warn that the package is in test mode and register nothing).
import { app } from '@azure/functions';
import { STORAGE_CONNECTION, type FunctionDefinition } from './function-definitions.js';

export function registerWithAzure(definitions: readonly FunctionDefinition[]): void {
  for (const def of definitions) {
    switch (def.kind) {
      case 'http':
        app.http(def.name, {
          route: def.route,
          methods: def.methods,
          authLevel: def.authLevel,
          extraOutputs: def.extraOutputs,
          handler: def.handler,
        });
        break;
      case 'timer':
        app.timer(def.name, {
          schedule: def.schedule,
          runOnStartup: def.runOnStartup ?? false,
          extraOutputs: def.extraOutputs,
          handler: def.handler,
        });
        break;
      case 'queue':
        app.storageQueue(def.name, {
          queueName: def.queueName,
          connection: STORAGE_CONNECTION,
          extraOutputs: def.extraOutputs,
          handler: def.handler,
        });
        break;
    }
  }
}
