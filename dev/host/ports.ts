// Port helpers for `npm start` and the benches: fixed, well-known ports when free, free ones otherwise.
import { createServer } from 'node:net';

/** True when nothing listens on the port of this loopback interface. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/** A port that was free a moment ago (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** The preferred port when free, else 0 (let the server pick). */
export async function preferredOrFree(port: number, host = '127.0.0.1'): Promise<number> {
  return port > 0 && (await isPortFree(port, host)) ? port : 0;
}
