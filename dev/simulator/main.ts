// `npm run simulator`: the Microsoft 365 simulator on its own, for `npm start` (M365_SIMULATOR_URL names it)
// or any other client. SIM_PORT (7072; 0 picks a free port). Prints its URL; Ctrl-C stops.
import { startSimulator } from './server.js';

const raw = process.env.SIM_PORT?.trim() || '7072';
const port = Number(raw);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error('Invalid setting SIM_PORT: must be a port number');
  process.exit(1);
}

const simulator = await startSimulator({ port }).catch((error: unknown) => {
  const code = (error as { code?: string }).code;
  console.error(code === 'EADDRINUSE' ? `Port ${port} is in use: stop what uses it or set SIM_PORT` : String(error));
  process.exit(1);
});
console.info(`Microsoft 365 simulator on ${simulator.url} (set M365_SIMULATOR_URL=${simulator.url}). Ctrl-C stops.`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void simulator.close().then(() => process.exit(0)));
}
