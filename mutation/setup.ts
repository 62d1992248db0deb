import { policySchemas } from '../packages/core/src/budget/policy.js';

// The policy schema is built lazily, by whichever test parses a policy first: Stryker would then try the mutants
// inside it against that one test only. Built here, before any test, they count as static and meet every test.
policySchemas();
