import type { z } from 'zod/v4';
import { lazy, zod } from '../lazy.js';

function build() {
  const { z } = zod();
  const unwrap = <T extends z.ZodType>(inner: T) =>
    z.union([
      z
        .object({ data: inner })
        .loose()
        .transform((v) => v.data as z.infer<T>),
      inner,
    ]);

  const balanceSchema = unwrap(
    z
      .object({
        walletAddress: z.string().optional(),
        balanceUsd: z.number().finite(),
        canConsume: z.boolean(),
        minimumTopUpUsd: z.number().finite().default(5),
        suggestedTopUpUsd: z.number().finite().default(10),
        diemBalanceUsd: z.number().finite().optional(),
      })
      .loose(),
  );

  const transactionSchema = z.object({
    id: z.string(),
    amount: z.number().finite(),
    balanceAfter: z.number().finite(),
    type: z.string(),
    createdAt: z.string(),
    requestId: z.string().nullable(),
    modelId: z.string().nullable(),
  });

  const transactionsSchema = unwrap(
    z
      .object({
        walletAddress: z.string().optional(),
        currentBalance: z.number().finite().optional(),
        // Rows are checked one by one (getTransactions): one malformed row costs itself, not the page.
        transactions: z.array(z.unknown()),
        pagination: z.object({ limit: z.number(), offset: z.number(), hasMore: z.boolean() }).loose(),
      })
      .loose(),
  );

  const topUpSuccessSchema = unwrap(
    z
      .object({
        walletAddress: z.string().optional(),
        amountCredited: z.number().finite(),
        newBalance: z.number().finite(),
        paymentId: z.string().optional(),
      })
      .loose(),
  );
  return { balanceSchema, transactionSchema, transactionsSchema, topUpSuccessSchema };
}

/** Venice wallet API schemas, built on first use. */
export const veniceSchemas = lazy(build);
type Schemas = ReturnType<typeof build>;

export type VeniceTransaction = z.infer<Schemas['transactionSchema']>;
