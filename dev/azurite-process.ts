// The child process dev/azurite.ts starts: Azurite on a thread of its own, as Storage is a separate service
// in Azure, so the app's event loop never serves storage requests. Speaks to its parent over IPC only.
import { startAzuriteInProcess, type AzuriteOptions } from './azurite-server.js';

export type AzuriteRequest = { type: 'counts' } | { type: 'close' };
export type AzuriteReply =
  | { type: 'ready'; tableEndpoint: string; queueEndpoint: string }
  | { type: 'counts'; table: number; queue: number }
  | { type: 'failed'; message: string };

const send = (reply: AzuriteReply) => process.send?.(reply);
const options = JSON.parse(process.env.AZURITE_PROCESS_OPTIONS ?? '{}') as AzuriteOptions;

try {
  const azurite = await startAzuriteInProcess(options);
  process.on('message', (request: AzuriteRequest) => {
    if (request.type === 'counts') send({ type: 'counts', ...azurite.requestCounts() });
    if (request.type === 'close') void azurite.close().finally(() => process.exit(0));
  });
  // Ctrl-C reaches the whole process group: the parent decides when Azurite stops (after the app), so that
  // persisted data is flushed by close() rather than cut off.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => void azurite.close().finally(() => process.exit(0)));
  // The parent died without closing us: go too, rather than hold the ports.
  process.on('disconnect', () => void azurite.close().finally(() => process.exit(0)));
  send({ type: 'ready', tableEndpoint: azurite.tableEndpoint, queueEndpoint: azurite.queueEndpoint });
} catch (error) {
  send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
