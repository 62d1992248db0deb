import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ProtocolError } from '../../errors.js';
import type { FetchLike } from '../../http.js';

const MAX_REDIRECTS = 5;

/** Addresses a redirect may not lead to: loopback, private, link-local (cloud metadata), shared, unspecified, multicast. */
const INTERNAL = (() => {
  const list = new BlockList();
  for (const [net, bits] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
    ['224.0.0.0', 3],
  ] as const)
    list.addSubnet(net, bits, 'ipv4');
  for (const [net, bits] of [
    ['::', 127],
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
  ] as const)
    list.addSubnet(net, bits, 'ipv6');
  return list;
})();

function internalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return INTERNAL.check(address, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  return mapped ? INTERNAL.check(mapped, 'ipv4') : INTERNAL.check(address, 'ipv6');
}

/** Whether every address `host` names (an IP, or what DNS answers for a name) is internal-free. */
async function publicHost(host: string): Promise<boolean> {
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare)) return !internalAddress(bare);
  const addresses = await lookup(bare, { all: true }).catch(() => []);
  return addresses.length > 0 && addresses.every((a) => !internalAddress(a.address));
}

/**
 * Fetches a job's one-time `download_url` without credentials, following at most 5 redirects by hand: within the
 * link's own origin, or to another http(s) host only when it is public. A redirect to an internal address (cloud
 * metadata at 169.254.169.254, loopback, a private network) is a ProtocolError: the link came from a server, and a
 * hop there would read this machine's network for it.
 */
export async function fetchDownload(
  fetchImpl: FetchLike,
  link: string,
  queueId: string,
  signal?: AbortSignal,
): Promise<Response> {
  const origin = new URL(link).origin;
  let url = new URL(link);
  for (let hops = 0; ; hops++) {
    const response = await fetchImpl(url.href, { redirect: 'manual', signal });
    const location = response.status >= 300 && response.status < 400 ? response.headers.get('location') : null;
    if (location === null) return response;
    await response.body?.cancel().catch(() => {});
    const next = URL.canParse(location, url) ? new URL(location, url) : undefined;
    const refuse = (why: string) =>
      new ProtocolError(`The job's download link redirected ${why}: not followed`, {
        queueId,
        location: location.slice(0, 200),
      });
    if (hops >= MAX_REDIRECTS) throw refuse(`more than ${MAX_REDIRECTS} times`);
    if (!next || (next.protocol !== 'https:' && next.protocol !== 'http:')) throw refuse('to a non-http(s) URL');
    if (next.origin !== origin && !(await publicHost(next.hostname))) throw refuse('to an internal address');
    url = next;
  }
}
