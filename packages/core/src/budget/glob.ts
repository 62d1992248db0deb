const cache = new Map<string, RegExp>();

/** `*` matches any run of characters, `?` one character; everything else is literal. Case-insensitive. */
export function globMatch(pattern: string, value: string): boolean {
  let re = cache.get(pattern);
  if (!re) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, 'i');
    cache.set(pattern, re);
  }
  return re.test(value);
}

/** Allowed when it matches no deny pattern and (no allow list, or some allow pattern). */
export function allowedBy(rules: { allow?: string[]; deny?: string[] }, value: string): boolean {
  if (rules.deny?.some((p) => globMatch(p, value))) return false;
  if (rules.allow && rules.allow.length > 0) return rules.allow.some((p) => globMatch(p, value));
  return true;
}
