// The simulator's modules, in registration order. Each lives in its own file.
import type { SimModule } from './server.js';
import { controlDirectoryModule } from './control-directory.js';
import { identityModule } from './identity/index.js';
import { graphModule } from './graph/index.js';

export const defaultModules: SimModule[] = [identityModule, controlDirectoryModule, graphModule];
