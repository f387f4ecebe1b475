// The simulator's modules, in registration order. Each lives in its own file.
import type { SimModule } from './server.js';

export const defaultModules: SimModule[] = [];
