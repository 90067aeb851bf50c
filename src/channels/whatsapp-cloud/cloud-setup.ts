import type { Config } from '../../config/config.ts';
import type { Keys } from '../../redis/keys.ts';
import type { ScriptedRedis } from '../../redis/scripts.ts';
import { WhatsAppCloudChannel, type WhatsAppCloudChannelOptions } from './cloud-channel.ts';
import { CloudState } from './cloud-state.ts';
import { GraphClient } from './graph-client.ts';

/**
 * Builds the Cloud API channel from the settings (checked by the config schema: with
 * WHATSAPP_TRANSPORT=cloud, the four credentials are present).
 */
export function createWhatsAppCloudChannel(
  config: Config,
  deps: Omit<
    WhatsAppCloudChannelOptions,
    'graph' | 'state' | 'phoneNumberId' | 'appSecret' | 'verifyToken' | 'templates'
  > & { redis: ScriptedRedis; keys: Keys },
): WhatsAppCloudChannel {
  const { redis, keys, ...rest } = deps;
  const phoneNumberId = config.WHATSAPP_PHONE_NUMBER_ID;
  const accessToken = config.WHATSAPP_ACCESS_TOKEN;
  const appSecret = config.WHATSAPP_APP_SECRET;
  const verifyToken = config.WHATSAPP_VERIFY_TOKEN;
  if (!phoneNumberId || !accessToken || !appSecret || !verifyToken)
    throw new Error(
      'WHATSAPP_TRANSPORT=cloud needs its four credentials (the config check should have said so)',
    );
  return new WhatsAppCloudChannel({
    ...rest,
    graph: new GraphClient({ baseUrl: config.WHATSAPP_GRAPH_API_URL, phoneNumberId, accessToken }),
    state: new CloudState(redis, keys),
    phoneNumberId,
    appSecret,
    verifyToken,
    templates: {
      status: { name: config.WHATSAPP_TEMPLATE_STATUS, language: config.WHATSAPP_TEMPLATE_STATUS_LANGUAGE },
      reply: { name: config.WHATSAPP_TEMPLATE_REPLY, language: config.WHATSAPP_TEMPLATE_REPLY_LANGUAGE },
    },
  });
}
