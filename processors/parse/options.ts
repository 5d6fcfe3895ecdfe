import { z } from 'zod';

/**
 * Org rules for join details (an admin's, tried before the catalogue): ordered; each a regular
 * expression over the visible text of Location and body (and every unwrapped link) plus a template
 * that builds the dial string. Template fields: `{0}` (the whole match), `{1}`…`{9}`, `{name}` for
 * named groups, each optionally filtered as `{1:digits}`, `{1:lower}`, `{1:upper}`, `{1:nospace}`.
 * A result starting with `http(s)://` is a join link; anything else a video address (`sip:` dropped).
 *
 * `scope: internal` rules apply only when the organiser's address is in `internalDomains`.
 * Patterns with a quantified group that itself contains a quantifier (`(a+)+`, the shape of
 * catastrophic backtracking) are refused when the options are read.
 */
export const orgRuleSchema = z.object({
  name: z.string().min(1),
  pattern: z.string().min(1),
  flags: z.string().regex(/^[imsu]*$/).default('i'),
  template: z.string().min(1),
  provider: z.enum(['WEBEX', 'TEAMS', 'ZOOM', 'MEET', 'SIP', 'OTHER']).default('SIP'),
  scope: z.enum(['internal', 'all']).default('all'),
});

export const parseOptionsSchema = z
  .object({
    rules: z.array(orgRuleSchema).default([]),
    internalDomains: z.array(z.string().min(1)).default([]),
  })
  .superRefine((options, ctx) => {
    options.rules.forEach((rule, index) => {
      const problem = regexProblem(rule.pattern, rule.flags);
      if (problem !== null) ctx.addIssue({ code: 'custom', path: ['rules', index, 'pattern'], message: problem });
    });
  });

export type OrgRule = z.output<typeof orgRuleSchema>;
export type ParseOptions = z.output<typeof parseOptionsSchema>;
export type ParseOptionsInput = z.input<typeof parseOptionsSchema>;

/** Why a rule's pattern is refused, or null. */
export function regexProblem(pattern: string, flags: string): string | null {
  try {
    new RegExp(pattern, flags);
  } catch {
    return 'not a valid regular expression';
  }
  // Track, per open group, whether it contains a quantifier; a quantifier right after its ')' then nests.
  const stack: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i]!;
    if (c === '\\') {
      i += 1;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') stack.push(false);
    else if (c === ')') {
      const inner = stack.pop() ?? false;
      const after = pattern[i + 1];
      const quantified = after === '*' || after === '+' || after === '{';
      if (inner && quantified) return 'a quantified group contains a quantifier (catastrophic backtracking); rewrite without nesting';
      if (stack.length > 0 && (inner || quantified)) stack[stack.length - 1] = true;
    } else if ((c === '*' || c === '+' || c === '{') && stack.length > 0) stack[stack.length - 1] = true;
  }
  return null;
}
