import { z } from 'zod';

/**
 * The shape of a flow file (`flows/*.yaml`). Pass one of validation: each piece on its own.
 * The graph (unique ids, every `next` pointing at a real step) is checked in `graph.ts`.
 */

const stepId = z.string().regex(/^[a-z][a-z0-9_]{0,30}$/, 'a lower-case id: letters, digits, _ (max 31)');

/** A text in Bahasa Indonesia and English; both are required so no citizen meets a missing prompt. */
export const localizedSchema = z.strictObject({ id: z.string().min(1), en: z.string().min(1) });

/**
 * Option values and step ids are short because a button carries `stepId|value`, and Telegram allows
 * 64 bytes of callback data: 31 + 1 + 32.
 */
export const optionSchema = z.strictObject({
  value: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'lower-case letters, digits, _ or - (max 32)'),
  label: localizedSchema,
});

/** A condition on an earlier answer: `{ step: type, equals: pengaduan }` or `in: [a, b]`. */
export const conditionSchema = z
  .strictObject({
    step: stepId,
    equals: z.string().optional(),
    in: z.array(z.string()).min(1).optional(),
  })
  .refine((c) => (c.equals === undefined) !== (c.in === undefined), 'give exactly one of `equals` or `in`');

/** Where to go after a step: a step id, `end`, or the first matching branch with a default. */
export const nextSchema = z.union([
  stepId,
  z.literal('end'),
  z.strictObject({
    branches: z
      .array(z.strictObject({ when: conditionSchema, goto: z.union([stepId, z.literal('end')]) }))
      .min(1),
    otherwise: z.union([stepId, z.literal('end')]),
  }),
]);

const base = {
  id: stepId,
  prompt: localizedSchema,
  /** Shown by `bantuan`/`help` at this step. */
  help: localizedSchema.optional(),
  /** Optional steps accept `lewati`/`skip`. */
  optional: z.boolean().default(false),
  next: nextSchema.optional(),
  /** Short label of the answer in the summary ("Judul", "Title"). */
  summary_label: localizedSchema.optional(),
};

export const choiceStepSchema = z.strictObject({
  ...base,
  kind: z.literal('choice'),
  /** Fixed options, or options taken from `routing.yaml` (`categories`, `regions`). */
  options: z.array(optionSchema).min(1).max(50).optional(),
  options_from: z.enum(['categories', 'regions']).optional(),
  /** A list with a single option is answered automatically and never shown. */
  skip_if_single: z.boolean().default(true),
});

export const textStepSchema = z.strictObject({
  ...base,
  kind: z.literal('text'),
  min_length: z.number().int().min(0).default(1),
  max_length: z.number().int().min(1).max(10_000).default(1000),
  format: z.enum(['free', 'tracking_number']).default('free'),
});

export const dateStepSchema = z.strictObject({
  ...base,
  kind: z.literal('date'),
  /** How far back a date may lie, in days. */
  max_days_ago: z.number().int().min(1).default(3650),
});

export const locationStepSchema = z.strictObject({
  ...base,
  kind: z.literal('location'),
  min_address_length: z.number().int().min(1).default(5),
});

export const mediaStepSchema = z.strictObject({
  ...base,
  kind: z.literal('media'),
  max_files: z.number().int().min(1).max(10).default(5),
  max_bytes: z
    .number()
    .int()
    .min(1)
    .default(10 * 1024 * 1024),
  mime_types: z
    .array(z.string().regex(/^[a-z]+\/[a-z0-9.+*-]+$/))
    .min(1)
    .default(['image/jpeg', 'image/png', 'application/pdf']),
});

export const confirmStepSchema = z.strictObject({
  ...base,
  kind: z.literal('confirm'),
});

export const stepSchema = z.discriminatedUnion('kind', [
  choiceStepSchema,
  textStepSchema,
  dateStepSchema,
  locationStepSchema,
  mediaStepSchema,
  confirmStepSchema,
]);

export const flowSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_-]{0,30}$/),
  /** What finishing the flow does: submit a report, or look a report up by tracking number. */
  on_finish: z.enum(['submit', 'check_status']),
  /** Words that start this flow from the menu or a deep link (`/start lapor`). */
  triggers: z.array(z.string().min(1)).default([]),
  title: localizedSchema,
  /** Said when the flow finishes; `{trackingId}` etc. are filled by the caller. */
  done: localizedSchema,
  steps: z.array(stepSchema).min(1),
});

export type FlowFile = z.infer<typeof flowSchema>;
export type Step = z.infer<typeof stepSchema>;
export type ChoiceStep = z.infer<typeof choiceStepSchema>;
export type TextStep = z.infer<typeof textStepSchema>;
export type DateStep = z.infer<typeof dateStepSchema>;
export type LocationStep = z.infer<typeof locationStepSchema>;
export type MediaStep = z.infer<typeof mediaStepSchema>;
export type ConfirmStep = z.infer<typeof confirmStepSchema>;
export type Next = z.infer<typeof nextSchema>;
export type Condition = z.infer<typeof conditionSchema>;
export type Option = z.infer<typeof optionSchema>;

/** routing.yaml: who receives which category in which region. */
export const routingSchema = z.strictObject({
  province: z.strictObject({ code: z.string().min(1), name: z.string().min(1) }),
  regions: z
    .array(
      z.strictObject({
        id: z
          .string()
          .regex(/^[a-z0-9-]{1,32}$/, 'lower-case letters, digits and - (max 32: it travels in a button)'),
        name: z.string().min(1),
        code: z.string().optional(),
      }),
    )
    .min(1),
  agencies: z
    .array(
      z.strictObject({
        id: z.string().regex(/^[a-z0-9-]{1,60}$/, 'lower-case letters, digits and - (max 60)'),
        name: z.string().min(1),
        region: z.string().optional(),
      }),
    )
    .min(1),
  categories: z
    .array(
      z.strictObject({
        id: z
          .string()
          .regex(/^[a-z0-9_-]{1,32}$/, 'lower-case letters, digits, _ or - (max 32: it travels in a button)'),
        label: localizedSchema,
      }),
    )
    .min(1),
  routes: z.array(
    z.strictObject({
      category: z.string(),
      /** Absent: any region. A rule naming the region wins over one that does not. */
      region: z.string().optional(),
      agency: z.string(),
    }),
  ),
  /** Receives whatever no route covers (usually the coordinator, e.g. Diskominfo). */
  fallback_agency: z.string(),
});
export type Routing = z.infer<typeof routingSchema>;
