// argvProblem: node:util parseArgs errors as the three bins say them (one line, the flag, the fix, no secret).
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { argvProblem } from '../src/support/argv';

const OPTIONS = { key: { type: 'string' }, cert: { type: 'string' }, verbose: { type: 'boolean' } } as const;

/** The problem for `argv`, from the error Node's own parser throws on it. */
function problem(argv: string[]): string {
  try {
    parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  } catch (err) {
    return argvProblem(argv, err);
  }
  throw new Error(`parseArgs accepted ${argv.join(' ')}`);
}

describe('support: argvProblem', () => {
  const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n';

  it('a PEM block pasted after a flag is named by size only, with the fix', () => {
    const p = problem(['--key', pem]);
    assert.equal(
      p,
      `--key is followed by a string of ${pem.length} characters (not shown) that looks like a key or certificate ` +
        'pasted in: --key takes the path of a file that holds it',
    );
    assert.doesNotMatch(p, /MIIE|BEGIN/);
  });

  it('a flag followed by another flag has no value', () => {
    assert.equal(
      problem(['--cert', '--key', 'k.pem']),
      "--cert has no value (the next argument, '--key', starts with '-'): pass --cert VALUE, or --cert=VALUE for a value that starts with '-'",
    );
  });

  it("otherwise Node's message on one line, without its positional hint or a trailing full stop", () => {
    const unknown = problem(['--frobnicate']);
    assert.match(unknown, /^Unknown option '--frobnicate'/);
    assert.doesNotMatch(unknown, /\n|positional|\.$/);
    assert.doesNotMatch(problem(['stray']), /\n|\.$/);
  });

  it('a secret-looking argument that Node quotes is shown by size only', () => {
    const sas = 'SharedAccessSignature sr=x&sig=abc%2Bdef&se=1';
    const p = problem([`--${sas}`]);
    assert.doesNotMatch(p, /sig=abc/);
    assert.match(p, /not shown/);
  });
});
