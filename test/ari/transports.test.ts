/**
 * The two ways REST requests reach Asterisk, below the simulator: OrderedLanes keeps each
 * channel's requests in order on connections that can overtake each other, and the WebSocket
 * transport's RESTRequest / RESTResponse framing (the simulator tests cover the far end).
 */
import { OrderedLanes } from '../../src/ari/lanes';
import { playbackLanes } from '../../src/ari/restPort';
import { AriRequestError } from '../../src/ari/types';
import { WebSocketTransport, type MessageSocket } from '../../src/ari/webSocketTransport';

function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('OrderedLanes', () => {
  test("a request waits for the earlier ones on its lanes, not for other channels'", async () => {
    const lanes = new OrderedLanes();
    const sent: string[] = [];
    const first = deferred();
    const other = deferred();
    const a = lanes.run(['channel:a'], () => (sent.push('stop prompt a'), first.promise));
    const b = lanes.run(['channel:b'], () => (sent.push('stop ring b'), other.promise));
    const join = lanes.run(['bridge:x', 'channel:a', 'channel:b'], async () => void sent.push('join a+b'));
    const c = lanes.run(['channel:c'], async () => void sent.push('answer c'));
    await tick();
    expect(sent).toEqual(['stop prompt a', 'stop ring b', 'answer c']);
    other.resolve();
    await tick();
    expect(sent).toHaveLength(3);
    first.resolve();
    await Promise.all([a, b, join, c]);
    expect(sent).toEqual(['stop prompt a', 'stop ring b', 'answer c', 'join a+b']);
    await tick();
    expect(lanes.busy).toBe(0);
  });

  test('a failed request does not hold its lane, and its error reaches its caller', async () => {
    const lanes = new OrderedLanes();
    const failing = lanes.run(['channel:a'], () => Promise.reject(new Error('404')));
    const next = lanes.run(['channel:a'], async () => 'hung up');
    await expect(failing).rejects.toThrow('404');
    await expect(next).resolves.toBe('hung up');
  });

  test("the call flow's playback ids name their channel's lane", () => {
    expect(playbackLanes('lcr-pb-1712.34-ab12cd7')).toEqual([
      'channel:1712.34',
      'playback:lcr-pb-1712.34-ab12cd7',
    ]);
    expect(playbackLanes('lcr-pb-lcr-leg-9f-3-ab12cd7')[0]).toBe('channel:lcr-leg-9f-3');
    expect(playbackLanes('someone-elses')).toEqual(['playback:someone-elses']);
  });
});

describe('WebSocketTransport', () => {
  function socket(): MessageSocket & { sent: Array<Record<string, unknown>>; open: boolean } {
    const s = {
      open: true,
      sent: [] as Array<Record<string, unknown>>,
      send: (text: string) => void s.sent.push(JSON.parse(text) as Record<string, unknown>),
    };
    return s;
  }

  test('requests leave at once, in order, as RESTRequest with name/value parameters and a JSON body', async () => {
    const ws = socket();
    const transport = new WebSocketTransport(ws, 1000);
    const stop = transport.send({
      operation: 'stopPlayback',
      method: 'DELETE',
      path: '/playbacks/p1',
      lanes: [],
    });
    const join = transport.send({
      operation: 'addToBridge',
      method: 'POST',
      path: '/bridges/b1/addChannel',
      query: { channel: 'a,b', absent: undefined },
      lanes: [],
    });
    const originate = transport.send<{ id: string }>({
      operation: 'originate',
      method: 'POST',
      path: '/channels',
      query: { endpoint: 'PJSIP/alice', timeout: 30 },
      body: { variables: { X: 'y z' } },
      lanes: [],
    });
    expect(ws.sent.map((m) => [m['type'], m['method'], m['uri']])).toEqual([
      ['RESTRequest', 'DELETE', 'playbacks/p1'],
      ['RESTRequest', 'POST', 'bridges/b1/addChannel'],
      ['RESTRequest', 'POST', 'channels'],
    ]);
    expect(ws.sent[1]!['query_strings']).toEqual([{ name: 'channel', value: 'a,b' }]);
    expect(ws.sent[2]).toMatchObject({
      query_strings: [
        { name: 'endpoint', value: 'PJSIP/alice' },
        { name: 'timeout', value: '30' },
      ],
      content_type: 'application/json',
      message_body: JSON.stringify({ variables: { X: 'y z' } }),
    });
    expect(new Set(ws.sent.map((m) => m['request_id'])).size).toBe(3);
    // Answers may come in any order; each finds its request.
    const id = (i: number): string => ws.sent[i]!['request_id'] as string;
    transport.deliver({
      type: 'RESTResponse',
      request_id: id(2),
      status_code: 200,
      message_body: '{"id":"c1"}',
    });
    transport.deliver({ type: 'RESTResponse', request_id: id(0), status_code: 204 });
    transport.deliver({
      type: 'RESTResponse',
      request_id: id(1),
      status_code: 422,
      reason_phrase: 'Unprocessable Entity',
      message_body: '{"message":"Channel not in Stasis application"}',
    });
    await expect(originate).resolves.toEqual({ id: 'c1' });
    await expect(stop).resolves.toBeUndefined();
    await expect(join).rejects.toMatchObject({
      status: 422,
      message: 'addToBridge: Channel not in Stasis application',
    });
    expect(transport.inFlight).toBe(0);
  });

  test('a request times out, a late answer is dropped, and a closed socket fails what waits at once', async () => {
    const ws = socket();
    const transport = new WebSocketTransport(ws, 50);
    const slow = transport.send({
      operation: 'answer',
      method: 'POST',
      path: '/channels/a/answer',
      lanes: [],
    });
    await expect(slow).rejects.toMatchObject({ timedOut: true });
    transport.deliver({
      type: 'RESTResponse',
      request_id: ws.sent[0]!['request_id'] as string,
      status_code: 204,
    });
    const waiting = transport.send({ operation: 'hangup', method: 'DELETE', path: '/channels/a', lanes: [] });
    transport.closed();
    await expect(waiting).rejects.toThrow(/closed before the answer/);
    ws.open = false;
    await expect(
      transport.send({ operation: 'hangup', method: 'DELETE', path: '/channels/a', lanes: [] }),
    ).rejects.toBeInstanceOf(AriRequestError);
  });
});
