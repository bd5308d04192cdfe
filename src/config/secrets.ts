/**
 * Secrets (ARI and SMTP passwords, the API token, webhook secrets) are read when they are needed,
 * from the environment or a file (relative to the YAML file), so they never have to sit in the YAML.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Secret } from './model';
import { namedError } from '../util/namedError';

export class SecretError extends namedError('SecretError') {}

/**
 * The secret's value, or undefined when none is configured. `setting` names the YAML key in
 * error messages ("asterisk.password").
 */
export function resolveSecret(
  secret: Secret,
  configSource: string,
  setting: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  switch (secret.kind) {
    case 'plain':
      return secret.value;
    case 'env': {
      const value = env[secret.name];
      if (value === undefined || value === '')
        throw new SecretError(`${setting}_env: environment variable ${secret.name} is not set`);
      return value;
    }
    case 'file': {
      const file = path.resolve(path.dirname(configSource), secret.path);
      try {
        return fs.readFileSync(file, 'utf8').split(/\r?\n/)[0]!;
      } catch (error) {
        throw new SecretError(`${setting}_file: cannot read ${file}: ${(error as Error).message}`);
      }
    }
    case 'none':
      return undefined;
  }
}
