// node:util parseArgs errors, said once for the three bins (dps-check, dps-lab, dps-certs): one line, the flag named,
// the fix, and nothing that looks like a credential echoed back.
import { describeSecret, looksSecret } from '../redact';

/**
 * The one-line problem for a parseArgs error `err` on `argv`. Node's "argument is ambiguous" (a flag that takes a
 * value followed by something starting with '-') becomes "the flag has no value"; a PEM block pasted in after a flag
 * starts with '-----BEGIN' and is named as such, by size only, with the fix (the flag takes a file path). Otherwise
 * Node's own message, without its hint about positionals, with secret-looking quoted arguments shown by size only.
 */
export function argvProblem(argv: readonly string[], err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const flag = /^Option '(--[\w-]+)' argument is ambiguous/.exec(message)?.[1];
  if (flag) {
    const next = argv[argv.indexOf(flag) + 1];
    if (next === undefined) return `${flag} needs a value`;
    if (next.startsWith('-----BEGIN') || looksSecret(next))
      return `${flag} is followed by ${describeSecret(next)} that looks like a key or certificate pasted in: ${flag} takes the path of a file that holds it`;
    return `${flag} has no value (the next argument, '${next}', starts with '-'): pass ${flag} VALUE, or ${flag}=VALUE for a value that starts with '-'`;
  }
  return message
    .replace(/\. To specify a positional argument.*$/s, '')
    .replace(/'([^']*)'/g, (quoted, value: string) => (looksSecret(value) ? describeSecret(value) : quoted))
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\.+$/, '');
}
