import * as path from 'node:path';
import { loadConfigFile } from '../../src/config/load';
import { resolveOnCall } from '../../src/oncall/escalation';

test('routes.example.yaml validates', () => {
  const { config, warnings } = loadConfigFile(path.join(__dirname, '../../routes.example.yaml'));
  expect(warnings).toEqual([]);
  expect(config.routes.map((r) => r.id)).toEqual(['hotline', 'vendors', 'legacy']);
  const answer = resolveOnCall(config, 'network-team', Date.parse('2026-11-24T10:00:00Z'));
  console.log(JSON.stringify(answer.levels.map((l) => l.responders.map((x) => x.responder.id))));
});
