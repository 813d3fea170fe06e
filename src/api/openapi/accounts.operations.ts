/** Authentication, users and the audit log (API.md §7.1, §12). */
import { z } from 'zod'
import { apiKeyDto, auditDto, userDto } from '../account-dto.ts'
import { meReply, tokenGrantReply } from '../reply-dto.ts'
import { auditListQuerySchema } from '../routes/audit.routes.ts'
import {
  createApiKeyBodySchema,
  loginBodySchema,
  logoutBodySchema,
  refreshBodySchema,
} from '../routes/auth.routes.ts'
import {
  createUserBodySchema,
  updateUserBodySchema,
  userListQuerySchema,
} from '../routes/users.routes.ts'
import type { OperationSpec } from './operation-spec.ts'

const OFF = 'Without an `auth` section every /api/auth route answers 404.'
const LIST = ['X-Total-Count', 'X-Total-Count-Estimated', 'X-Next-Cursor'] as const

export const accountOperations: ReadonlyArray<OperationSpec> = [
  {
    method: 'POST',
    path: '/api/auth/login',
    summary: 'Log in with email and password',
    description: `Also sets the HttpOnly refresh cookie. ${OFF}`,
    tag: 'auth',
    access: 'public',
    body: {
      schema: loginBodySchema,
      required: true,
      example: { email: 'admin@example.com', password: 'a long password' },
    },
    replies: {
      200: { description: 'An access token and a refresh token', schema: tokenGrantReply },
      429: { description: 'Too many failed logins from this address', headers: ['Retry-After'] },
    },
  },
  {
    method: 'POST',
    path: '/api/auth/refresh',
    summary: 'Trade a refresh token (body or cookie) for new tokens',
    description: OFF,
    tag: 'auth',
    access: 'public',
    body: { schema: refreshBodySchema },
    replies: {
      200: { description: 'New tokens (the old refresh token is spent)', schema: tokenGrantReply },
    },
  },
  {
    method: 'POST',
    path: '/api/auth/logout',
    summary: "End a session (the caller's own without a token)",
    description: OFF,
    tag: 'auth',
    access: 'user',
    body: { schema: logoutBodySchema },
    replies: { 204: { description: 'Logged out' } },
  },
  {
    method: 'GET',
    path: '/api/auth/me',
    summary: 'The caller',
    description: OFF,
    tag: 'auth',
    access: 'user',
    replies: { 200: { description: 'The authenticated user', schema: meReply } },
  },
  {
    method: 'GET',
    path: '/api/auth/api-keys',
    summary: "The caller's API keys",
    description: OFF,
    tag: 'auth',
    access: 'user',
    replies: { 200: { description: 'The keys (never their secret)', schema: z.array(apiKeyDto) } },
  },
  {
    method: 'POST',
    path: '/api/auth/api-keys',
    summary: 'Create an API key (shown once)',
    description: OFF,
    tag: 'auth',
    access: 'user',
    body: {
      schema: createApiKeyBodySchema,
      required: true,
      example: { name: 'ci', expires_in_days: 90 },
    },
    replies: {
      201: {
        description: 'The key, with its secret',
        schema: apiKeyDto.extend({ key: z.string() }),
      },
    },
  },
  {
    method: 'DELETE',
    path: '/api/auth/api-keys/:prefix',
    summary: 'Revoke an API key (an admin may revoke anyone’s)',
    description: OFF,
    tag: 'auth',
    access: 'user',
    params: { prefix: 'The key’s 12-character prefix (`weir_` + 7)' },
    replies: { 200: { description: 'The revoked key', schema: apiKeyDto } },
  },
  {
    method: 'GET',
    path: '/api/users',
    summary: 'Users, by email',
    tag: 'users',
    access: 'admin',
    query: userListQuerySchema,
    replies: { 200: { description: 'One page of users', schema: z.array(userDto), headers: LIST } },
  },
  {
    method: 'GET',
    path: '/api/users/:id',
    summary: 'A user',
    tag: 'users',
    access: 'admin',
    params: { id: 'The user id (a UUID)' },
    replies: { 200: { description: 'The user', schema: userDto } },
  },
  {
    method: 'POST',
    path: '/api/users',
    summary: 'Create a user',
    tag: 'users',
    access: 'admin',
    body: {
      schema: createUserBodySchema,
      required: true,
      example: { email: 'dev@example.com', name: 'Dev', role: 'member' },
    },
    replies: { 201: { description: 'The new user', schema: userDto } },
  },
  {
    method: 'PUT',
    path: '/api/users/:id',
    summary: 'Change a user (`password: null` removes the password)',
    tag: 'users',
    access: 'admin',
    params: { id: 'The user id (a UUID)' },
    body: { schema: updateUserBodySchema, required: true, example: { role: 'viewer' } },
    replies: { 200: { description: 'The user after the change', schema: userDto } },
  },
  {
    method: 'GET',
    path: '/api/audit',
    summary: 'The audit log, newest first',
    tag: 'users',
    access: 'admin',
    query: auditListQuerySchema,
    replies: {
      200: { description: 'One page of entries', schema: z.array(auditDto), headers: LIST },
    },
  },
]
