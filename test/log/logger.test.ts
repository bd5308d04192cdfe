/** The logger writes the lines at or above its level, its children too, and nothing when silent. */
import { PassThrough } from 'node:stream';
import { createLogger, forCall } from '../../src/log/logger';

function capture(): {
  lines: () => string[];
  stream: PassThrough;
} {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== ''),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('logger levels', () => {
  it('drops lines below its level, for itself and for its children', async () => {
    const out = capture();
    const logger = createLogger({ level: 'warn', format: 'json', stream: out.stream });
    const call = forCall(logger, 'call-1');
    logger.debug('debug line');
    logger.info('info line');
    call.info('call info line');
    logger.warn('warn line', { n: 1 });
    call.error('call error line');
    await tick();
    const lines = out.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line['message'])).toEqual(['warn line', 'call error line']);
    expect(lines[0]).toMatchObject({ level: 'warn', n: 1 });
    expect(lines[1]).toMatchObject({ level: 'error', callId: 'call-1' });
  });

  it('writes every level at debug, and nothing when silent', async () => {
    const loud = capture();
    const logger = createLogger({ level: 'debug', format: 'json', stream: loud.stream });
    logger.child({ a: 1 }).debug('deep');
    const quiet = capture();
    createLogger({ level: 'debug', silent: true, stream: quiet.stream }).error('never');
    await tick();
    expect(loud.lines().map((line) => (JSON.parse(line) as { message: string }).message)).toEqual(['deep']);
    expect(quiet.lines()).toEqual([]);
  });
});
