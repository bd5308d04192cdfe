/** End the channel; one that is already gone is not an error. */
import type { CallSession } from '../session';

export async function hangup(session: CallSession): Promise<void> {
  if (session.gone) return;
  try {
    await session.ari.hangup(session.channelId, 'normal');
  } catch (error) {
    session.logger.debug('hangup failed (channel probably gone)', { error: (error as Error).message });
  }
}
