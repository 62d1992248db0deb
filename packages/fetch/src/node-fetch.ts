// Node's own fetch is a small wrapper in Node's bootstrap that loads Node's internal undici (`lazyUndici()` on
// Node 22 and later, `require('internal/deps/undici/undici')` on 20). No userland function can load that module, so
// its source text tells Node's fetch from a replacement whenever the replacement was installed (before or after
// this module loaded). Anything uncertain counts as a replacement: the slower path, never the mock bypassed.
const NODE_FETCH_BODY = /lazyUndici\(\)\.fetch\(|require\('internal\/deps\/undici\/undici'\)/;
const NODE_FETCH_HEAD = /^(async )?function fetch\(/;

let checked: unknown;
let checkedIsNode = false;

/** True when `fn` is the fetch Node itself installed (not msw, nock, a test's stub, or the undici package's). */
export function isNodeFetch(fn: unknown): boolean {
  if (fn === checked) return checkedIsNode;
  let source = '';
  try {
    source = typeof fn === 'function' ? Function.prototype.toString.call(fn) : '';
  } catch {
    // a Proxy whose target is not a function
  }
  checked = fn;
  checkedIsNode = NODE_FETCH_HEAD.test(source) && NODE_FETCH_BODY.test(source);
  return checkedIsNode;
}
