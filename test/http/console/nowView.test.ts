import { liveCallsFragment } from '../../../src/http/console/nowView';
import type { LiveCall } from '../../../src/store/callSearch';
import type { CallRow, LegRow } from '../../../src/store/calls';
import { configFromText, MINIMAL_YAML } from '../../helpers/config';

const config = configFromText(MINIMAL_YAML);

test('a call in progress renders with a leg result this version does not know', () => {
  const live: LiveCall = {
    call: {
      id: 'c1',
      caller_number: '+15550000001',
      route_id: 'main',
      option_key: '1',
      team_id: 'db-team',
      stage: 'ringing',
      started_at: 0,
      connected_at: null,
    } as CallRow,
    legs: [
      {
        id: 'l1',
        call_id: 'c1',
        responder_id: 'alice',
        phone: 'PJSIP/alice',
        result: 'hologram',
      } as unknown as LegRow,
    ],
  };
  const html = liveCallsFragment(config, [live], 65_000, 'UTC');
  expect(html).toContain('<li class="leg leg-hologram" title="">Alice');
  expect(html).toContain('data-since="0">1m 05s</span>');
  expect(html).toContain('<td>Database</td>');
});

test('what a caller typed never becomes markup', () => {
  const live: LiveCall = {
    call: {
      id: 'c"2',
      caller_number: '<img src=x onerror=alert(1)>',
      route_id: null,
      dialed_number: '"><script>',
      started_at: 0,
      connected_at: null,
      stage: null,
      option_key: null,
      team_id: null,
    } as unknown as CallRow,
    legs: [],
  };
  const html = liveCallsFragment(config, [live], 1000, 'UTC');
  expect(html).not.toContain('<img');
  expect(html).not.toContain('<script>');
  expect(html).toContain('href="/console/calls/c%222"');
});
