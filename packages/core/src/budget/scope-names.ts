import { ConfigError } from '../errors.js';

export const GLOBAL_SCOPE = 'global';

/**
 * Why a name cannot be a scope, or undefined when it can. A scope the chain of a call could never contain (it
 * holds the `/` that separates a chain, has spaces at its ends, is empty, or is `global`) would be a limit never
 * enforced: refused at policy load and in a call's scope.
 */
export function scopeNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name === GLOBAL_SCOPE) return 'is the global scope (its limits go under `limits`)';
  if (name.includes('/')) return 'contains "/", which separates the scopes of a chain';
  if (name.trim() !== name) return 'starts or ends with a space';
  return undefined;
}

/**
 * A call's scope as its chain, `global` first: `team:research/agent:planner` (spaces around each `/` are
 * formatting) or an array of scope names. Throws ConfigError naming the part that cannot be a scope.
 */
export function parseScopeChain(scope: string | readonly string[]): string[] {
  if (typeof scope === 'string' && scope.trim() === '') return [GLOBAL_SCOPE];
  const parts = typeof scope === 'string' ? scope.split('/').map((part) => part.trim()) : scope;
  const chain = [GLOBAL_SCOPE];
  for (const part of parts) {
    const problem = typeof part === 'string' ? scopeNameProblem(part) : 'is not a string';
    if (problem) {
      throw new ConfigError(`Invalid scope: ${quote(part)} in the call's scope ${problem}`, {
        scope: typeof scope === 'string' ? scope.slice(0, 200) : '(array)',
      });
    }
    if (!chain.includes(part)) chain.push(part);
  }
  return chain;
}

/** A scope name for a message: quoted, so spaces at its ends show; long ones cut. */
export const quote = (name: unknown) => JSON.stringify(String(name).slice(0, 100));
