import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfigText } from '../../src/config/load';
import type { Config } from '../../src/config/model';

export const EXAMPLE_PATH = path.join(__dirname, '../../routes.example.yaml');
export const EXAMPLE_YAML = fs.readFileSync(EXAMPLE_PATH, 'utf8');

/** A compact, valid configuration that tests extend; ids are short to keep fixtures readable. */
export const MINIMAL_YAML = `asterisk:
  url: http://127.0.0.1:8088
  username: lcr
  password: secret
responders:
  - id: alice
    name: Alice
    phones: ['PJSIP/alice']
escalation_policies:
  - id: p1
    levels:
      - targets: [{ responder: alice }]
teams:
  - id: db-team
    name: Database
    escalation_policy: p1
routes:
  - id: main
    name: Main
    numbers: ['+1 555 0100']
    routing: voicemail
    options:
      - key: 1
        team: db-team
        label: Database
`;

export function configFromText(text: string, name = 'routes.yaml'): Config {
  return loadConfigText(text, name).config;
}
