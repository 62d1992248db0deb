import type { z } from 'zod/v4';
import { lazy, zod } from '../lazy.js';

function build() {
  const { z } = zod();
  /** One payment option of a 402 quote. Accepts v2 (`amount`) and v1 (`maxAmountRequired`) naming. */
  const paymentRequirementsSchema = z
    .object({
      scheme: z.string(),
      network: z.string(),
      amount: z.string().optional(),
      maxAmountRequired: z.string().optional(),
      asset: z.string(),
      payTo: z.string(),
      maxTimeoutSeconds: z.number().int().nonnegative().optional(),
      resource: z.string().optional(),
      description: z.string().optional(),
      mimeType: z.string().optional(),
      extra: z.record(z.string(), z.unknown()).optional(),
    })
    .loose()
    .refine((r) => r.amount !== undefined || r.maxAmountRequired !== undefined, {
      message: 'amount (v2) or maxAmountRequired (v1) is required',
    });

  const paymentRequiredSchema = z
    .object({
      x402Version: z.number().int(),
      error: z.string().optional(),
      resource: z.union([z.object({ url: z.string() }).loose(), z.string()]).optional(),
      accepts: z.array(paymentRequirementsSchema),
      extensions: z.record(z.string(), z.unknown()).optional(),
    })
    .loose();

  const authorizationSchema = z.object({
    from: z.string(),
    to: z.string(),
    value: z.string(),
    validAfter: z.string(),
    validBefore: z.string(),
    nonce: z.string(),
  });

  const exactEvmPayloadSchema = z.object({ signature: z.string(), authorization: authorizationSchema });
  /** `exact` on Solana: a base64 wire transaction partially signed by the payer (the fee payer signs at settlement). */
  const exactSvmPayloadSchema = z.object({ transaction: z.string() });
  /** `upto`, or `exact` over Permit2: a PermitWitnessTransferFrom signed for the x402 proxy (witness: payee, …). */
  const permit2PayloadSchema = z.object({
    signature: z.string(),
    permit2Authorization: z
      .object({
        from: z.string(),
        permitted: z.object({ token: z.string(), amount: z.string() }),
        spender: z.string(),
        nonce: z.string(),
        deadline: z.string(),
        witness: z.object({ to: z.string(), validAfter: z.string() }).loose(),
      })
      .loose(),
  });
  const exactPayloadSchema = z.union([exactEvmPayloadSchema, permit2PayloadSchema, exactSvmPayloadSchema]);

  /** x402 v2 PaymentPayload: `accepted` echoes the chosen requirements. */
  const paymentPayloadV2Schema = z
    .object({
      x402Version: z.literal(2),
      resource: z.unknown().optional(),
      accepted: paymentRequirementsSchema,
      payload: exactPayloadSchema,
      extensions: z.record(z.string(), z.unknown()).optional(),
    })
    .loose();

  /** The v1 layout (`scheme` + `network` at top level); Venice's official client sends it stamped x402Version 2. */
  const paymentPayloadV1Schema = z
    .object({
      x402Version: z.number().int(),
      scheme: z.string(),
      network: z.string(),
      payload: exactPayloadSchema,
    })
    .loose();

  const paymentPayloadSchema = z.union([paymentPayloadV2Schema, paymentPayloadV1Schema]);

  const settleResponseSchema = z
    .object({
      success: z.boolean(),
      transaction: z.string().optional(),
      network: z.string().optional(),
      payer: z.string().optional(),
      /** `upto`: what was settled, in base units (at most the authorized maximum). */
      amount: z.unknown().optional(),
      errorReason: z.string().optional(),
    })
    .loose();

  /** `siwxChallenge.info` in a Venice 402 body, or `extensions["sign-in-with-x"].info` in a header. */
  const siwxInfoSchema = z
    .object({
      domain: z.string().min(1).max(253),
      uri: z.string().max(2048).optional(),
      statement: z.string().max(512).optional(),
      version: z.string().optional(),
      nonce: z.string().optional(),
    })
    .loose();
  return {
    paymentRequirementsSchema,
    paymentRequiredSchema,
    authorizationSchema,
    exactEvmPayloadSchema,
    exactSvmPayloadSchema,
    permit2PayloadSchema,
    paymentPayloadV2Schema,
    paymentPayloadV1Schema,
    paymentPayloadSchema,
    settleResponseSchema,
    siwxInfoSchema,
  };
}

/** The x402 zod schemas, built on first use. */
export const x402Schemas = lazy(build);
type Schemas = ReturnType<typeof build>;

export type RawPaymentRequirements = z.infer<Schemas['paymentRequirementsSchema']>;
export type PaymentRequired = z.infer<Schemas['paymentRequiredSchema']>;
export type PaymentPayload = z.infer<Schemas['paymentPayloadSchema']>;
export type SettleResponse = z.infer<Schemas['settleResponseSchema']>;
