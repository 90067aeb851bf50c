import express, { type Router } from 'express';
import { z } from 'zod';
import type { ApiKeys } from '../auth/api-keys.ts';
import {
  type ChatAddress,
  ChatAddressError,
  type ForgetSummary,
  parseChatAddress,
  ReportInFlightError,
} from '../privacy/forget-chat.ts';
import { requireToken } from './admin-auth.ts';
import { ApiError, parseBody } from './errors.ts';
import { noStore } from './no-store.ts';

export interface AdminApiDeps {
  apiKeys: ApiKeys;
  /** ADMIN_TOKEN; with none set, the admin API does not exist (404). */
  adminToken: string | undefined;
  /** Whether an agency id is known (routing.yaml). */
  knownAgency: (agencyId: string) => boolean;
  /** Carries out a reporter's deletion request (UU PDP) for one chat. */
  forgetChat: (address: ChatAddress) => Promise<ForgetSummary>;
}

const createBody = z.strictObject({
  agencyId: z.string().min(1).max(60).nullable().describe('null for a coordinator key'),
});

/**
 * Key management for coordinators' tooling, behind `ADMIN_TOKEN`: list, create (the key is in the
 * answer, once) and revoke; and a reporter's deletion request (`DELETE /admin/api/chats/<channel>:<chatId>`).
 * The CLI does the same from a shell.
 */
export function adminApi(deps: AdminApiDeps): Router {
  const router = express.Router();
  router.use('/admin/api', noStore, requireToken([deps.adminToken]));
  router.get('/admin/api/keys', async (_req, res) => {
    res.json({ items: await deps.apiKeys.list() });
  });
  router.post('/admin/api/keys', express.json({ limit: '4kb' }), async (req, res) => {
    const { agencyId } = parseBody(createBody, req.body);
    if (agencyId !== null && !deps.knownAgency(agencyId))
      throw new ApiError(400, 'unknown_agency', `Unknown agency "${agencyId}".`, 'agencyId');
    const { key, record } = await deps.apiKeys.create(agencyId);
    const { hash: _hash, ...shown } = record;
    res.status(201).json({ ...shown, key });
  });
  router.delete('/admin/api/keys/:id', async (req, res) => {
    if (!(await deps.apiKeys.revoke(String(req.params.id))))
      throw new ApiError(404, 'not_found', 'No such key.', 'id');
    res.status(204).end();
  });
  router.delete('/admin/api/chats/:chat', async (req, res) => {
    let address: ChatAddress;
    try {
      address = parseChatAddress(String(req.params.chat));
    } catch (err) {
      if (err instanceof ChatAddressError) throw new ApiError(400, 'invalid_request', err.message, err.field);
      throw err;
    }
    try {
      res.json(await deps.forgetChat(address));
    } catch (err) {
      if (err instanceof ReportInFlightError) throw new ApiError(409, 'report_in_flight', err.message);
      throw err;
    }
  });
  return router;
}
