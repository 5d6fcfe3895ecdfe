import { z } from 'zod';

/** obtp options (validated by the composition root). */
export const obtpOptionsSchema = z.object({
  defaultJoinLeadMinutes: z.number().int().min(0).max(60).default(5).describe('Minutes before start the Join button shows, unless the org sets its own'),
  horizonHours: z.number().int().min(1).max(24 * 31).default(72).describe('Hours ahead of now a device holds bookings for'),
  registryCacheMs: z.number().int().min(0).default(60_000).describe('How long device and org-setting lookups are cached, ms'),
});

export type ObtpOptions = z.output<typeof obtpOptionsSchema>;
export type ObtpOptionsInput = z.input<typeof obtpOptionsSchema>;
