import * as path from 'node:path';
import { loadConfigFile } from '../../src/config/load';
import { resolveOnCall } from '../../src/oncall/escalation';

test('routes.example.yaml validates', () => {
  const { config, warnings } = loadConfigFile(path.join(__dirname, '../../routes.example.yaml'));
  expect(warnings).toEqual([]);
  expect(config.routes.map((r) => r.id)).toEqual(['hotline', 'vendors', 'legacy', 'office']);
  // Tuesday 05:00 in New York: inside the European office-hours layer of the network schedule.
  const answer = resolveOnCall(config, 'network-team', Date.parse('2026-11-24T10:00:00Z'));
  expect(answer.levels.map((l) => l.responders.map((x) => x.responder.id))).toEqual([['carol'], ['grace']]);
});
