import { utils } from 'ssh2';
import { ConfigError, describeSource, type Source } from '../errors';
import { knownHostsProblems } from '../host/known-hosts';

/**
 * Checks that ssh-key is a private key ssh2 can use, decrypting it with the passphrase when it is
 * encrypted, so a wrong key fails before any connection. Returns warnings.
 */
export function checkPrivateKey(
  key: string,
  keySource: Source,
  passphrase: string,
  passSource: Source,
): string[] {
  const plain = utils.parseKey(key);
  if (!(plain instanceof Error)) {
    if (!plain.isPrivateKey()) {
      throw new ConfigError(
        `this is a ${plain.type} public key; give the private key (the file without .pub, e.g. ~/.ssh/id_ed25519)`,
        keySource,
      );
    }
    return passphrase
      ? [`${describeSource(passSource)}: ssh-key is not encrypted; the passphrase is not used`]
      : [];
  }
  if (!/no passphrase given/.test(plain.message)) {
    throw new ConfigError(
      `not a private key Baton can read (${plain.message}): give the whole OpenSSH or PEM private key, ` +
        'from its -----BEGIN line to its -----END line',
      keySource,
    );
  }
  if (!passphrase) {
    throw new ConfigError(
      'the key is encrypted: give its passphrase in the ssh-key-passphrase input (from a secret)',
      keySource,
    );
  }
  if (utils.parseKey(key, passphrase) instanceof Error)
    throw new ConfigError('does not decrypt ssh-key: wrong passphrase?', passSource);
  return [];
}

/** Refuses known-hosts lines Baton cannot use safely, naming each; returns warnings for the ones it ignores. */
export function checkKnownHosts(text: string, source: Source): string[] {
  const problems = knownHostsProblems(text);
  const errors = problems.filter((problem) => !problem.warning);
  if (errors.length > 0)
    throw new ConfigError(
      errors.map((problem) => `line ${problem.line}: ${problem.message}`).join('; '),
      source,
    );
  return problems.map((problem) => `${describeSource(source)}: line ${problem.line}: ${problem.message}`);
}
