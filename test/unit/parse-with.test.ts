import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseWith } from '../../shared/http/handle.js';
import { isAppError, type AppError } from '../../shared/errors/app-error.js';

function fieldOf(schema: z.ZodType, value: unknown, prefix = ''): string | undefined {
  try {
    parseWith(schema, value, prefix);
  } catch (error) {
    if (isAppError(error)) return (error as AppError).options.field;
    throw error;
  }
  throw new Error('expected a validation error');
}

describe('parseWith names the field at fault', () => {
  const schema = z.strictObject({ name: z.string(), tags: z.array(z.string()).optional() });

  it('names nested fields, unknown keys and the empty key', () => {
    expect(fieldOf(schema, { name: 1 })).toBe('name');
    expect(fieldOf(schema, { name: 'a', tags: ['x', 2] })).toBe('tags.1');
    expect(fieldOf(schema, { name: 'a', extra: true })).toBe('extra');
    expect(fieldOf(schema, { name: 'a', '': null })).toBe('""');
    expect(fieldOf(schema, { name: 1 }, 'query')).toBe('query.name');
  });

  it('names the field of the union option the value came closest to', () => {
    const user = z.strictObject({ externalUserId: z.string().min(1), returnUrl: z.string() });
    const tenant = z.strictObject({ kind: z.literal('tenant'), returnUrl: z.string() });
    const either = z.union([user, tenant]);
    expect(fieldOf(either, { kind: 'tenant', returnUrl: 5 })).toBe('returnUrl');
    expect(fieldOf(either, { externalUserId: '', returnUrl: 'x' })).toBe('externalUserId');
    expect(fieldOf(either, { externalUserId: 'x' })).toBe('returnUrl');
    expect(fieldOf(z.object({ link: either }), { link: { kind: 'tenant' } })).toBe('link.returnUrl');
  });
});
