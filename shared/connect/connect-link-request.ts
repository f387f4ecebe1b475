// What POST /api/connect-links accepts: a link for a user to connect a calendar, or (kind "tenant") for
// its customer's administrator to grant tenant-wide access for room mailboxes (docs/rooms.md).
import * as z from 'zod';

const loginHint = z.string().trim().min(3).max(256).regex(/^[^\s@]+@[^\s@]+$/, 'an email address or UPN');

export const connectLinkRequest = z
  .object({
    externalUserId: z.string().trim().min(1).max(256),
    returnUrl: z.string().min(1).max(2048),
    loginHint: loginHint.optional(),
    allowOtherAccount: z
      .boolean()
      .optional()
      .describe('with loginHint: accept a sign-in with another account (refused with error=account_mismatch by default)'),
    pickCalendars: z.boolean().optional(),
  })
  .strict();

/** kind "tenant": tenant-wide (admin) consent for rooms and spaces. */
export const tenantConnectLinkRequest = z
  .object({
    kind: z.literal('tenant'),
    returnUrl: z.string().min(1).max(2048),
    tenant: z
      .string()
      .trim()
      .min(3)
      .max(253)
      .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'a tenant id or domain')
      .optional()
      .describe("tenant id or domain; the administrator's own tenant when absent"),
    loginHint: loginHint.optional(),
  })
  .strict();

/** Either kind; a body that fits neither is reported against the one it came closest to (parseWith). */
export const connectLinkBody = z.union([connectLinkRequest, tenantConnectLinkRequest]);
