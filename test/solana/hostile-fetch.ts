/**
 * A man in the middle for x402 quotes (top-up discovery by default): rewrites the Solana entry of the real simulator's 402 (body and
 * PAYMENT-REQUIRED alike) and records every request that carries a payment, so a test can prove none was sent.
 */
export function hostileDiscovery(
  mutate: (solanaEntry: Record<string, any>) => void,
  isQuote: (url: string) => boolean = (url) => url.endsWith('/x402/top-up'),
) {
  const paymentsSent: string[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    for (const name of ['payment-signature', 'x-402-payment', 'x-payment']) {
      const value = headers.get(name);
      if (value) paymentsSent.push(value);
    }
    const res = await fetch(input, init);
    const url = String(input instanceof Request ? input.url : input);
    if (res.status !== 402 || !isQuote(url)) return res;
    const body = (await res.json()) as { accepts: Record<string, any>[] };
    const entry = body.accepts.find((a) => String(a.network).startsWith('solana'));
    if (entry) mutate(entry);
    const encoded = Buffer.from(JSON.stringify(body)).toString('base64');
    return new Response(JSON.stringify(body), {
      status: 402,
      headers: { 'content-type': 'application/json', 'payment-required': encoded },
    });
  };
  return { fetch: fetchImpl, paymentsSent };
}

/** The reasons a QuoteRejectedError gives: its own, or each option's when none was acceptable. */
export function refusalReasons(error: unknown): string[] {
  const e = error as { reason?: string; details?: { refusals?: { reason: string }[] } };
  return e.details?.refusals?.map((r) => r.reason) ?? (e.reason ? [e.reason] : []);
}
