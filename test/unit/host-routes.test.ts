// Route templates and host.json parsing used by the local host.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readQueueSettings, timeSpanSeconds } from '../../dev/host/host-json.js';
import { compareTemplates, RouteTemplate } from '../../dev/host/routes.js';

describe('RouteTemplate', () => {
  it('matches literals, params, optional params and catch-alls', () => {
    expect(new RouteTemplate('connections/{id}/busy').match('connections/c%2F1/busy')).toEqual({ params: { id: 'c/1' } });
    expect(new RouteTemplate('connections/{id}/busy').match('connections/c1')).toBeUndefined();
    expect(new RouteTemplate('files/{*path}').match('files/a/b')).toEqual({ params: { path: 'a/b' } });
    expect(new RouteTemplate('files/{*path}').match('files')).toEqual({ params: {} });
    expect(new RouteTemplate('opt/{x?}').match('opt')).toEqual({ params: {} });
    expect(new RouteTemplate('opt/{x?}').match('opt/a/b')).toBeUndefined();
    expect(new RouteTemplate('n/{id:int}').match('n/x')).toBeUndefined();
    expect(new RouteTemplate('bad/{id}').match('bad/%E0%A4%A')).toBeUndefined();
  });

  it('orders literal segments before parameters and parameters before catch-alls', () => {
    const templates = ['a/{*rest}', 'a/{id}', 'a/me', 'a/{id:int}'].map((t) => new RouteTemplate(t));
    expect(templates.sort(compareTemplates).map((t) => t.template)).toEqual(['a/me', 'a/{id:int}', 'a/{id}', 'a/{*rest}']);
  });

  it('refuses templates the host would refuse', () => {
    expect(() => new RouteTemplate('a/{x?}/b')).toThrow(/optional/);
    expect(() => new RouteTemplate('a/{b')).toThrow(/Unsupported/);
  });
});

describe('host.json queue settings', () => {
  it('reads the time spans and counts of extensions.queues', () => {
    expect(timeSpanSeconds('00:00:10')).toBe(10);
    expect(timeSpanSeconds('1.02:00:00')).toBe(93_600);
    expect(timeSpanSeconds('ten seconds')).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'host-json-'));
    const path = join(dir, 'host.json');
    writeFileSync(path, JSON.stringify({ extensions: { queues: { maxDequeueCount: 3, visibilityTimeout: '00:00:30', batchSize: 99, maxPollingInterval: '00:00:01' } } }));
    expect(readQueueSettings(path)).toEqual({ maxDequeueCount: 3, visibilityTimeoutSeconds: 30, batchSize: 32, maxPollingIntervalMs: 1000 });
    expect(readQueueSettings(join(dir, 'missing.json'))).toEqual({});
  });

  it("matches this repository's host.json", () => {
    expect(readQueueSettings('host.json')).toMatchObject({ maxDequeueCount: 5, visibilityTimeoutSeconds: 10 });
  });
});
