// Headless Chromium (Debian's, driven by playwright-core) for the tests that click through pages, and the
// booking system's return page those flows end on. One launch recipe for every browser test: a fresh
// profile per launch (removed on close), no sandbox (containers), nothing that reaches the network.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'cb-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      ...(options.viewport ? { viewport: options.viewport } : {}),
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    return {
      context,
      async close() {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}

export interface ReturnPage {
  /** http://127.0.0.1:<port>: register it as the client's origin, and return to `${origin}/return`. */
  origin: string;
  /** Every URL the browser landed on, in order. */
  received: URL[];
  close(): Promise<void>;
}

/** The booking system's page a connect flow returns to, on loopback. */
export async function startReturnPage(): Promise<ReturnPage> {
  const received: URL[] = [];
  let origin = '';
  const server = createServer((req, res) => {
    received.push(new URL(req.url ?? '/', origin));
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>Booking system</title><h1>Back in the booking system</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
