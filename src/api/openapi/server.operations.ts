/** Operations (API.md §9): health, readiness, metrics, the public config, job counts, this document. */
import { configReply, healthReply, jobCountsReply, readinessReply } from '../reply-dto.ts'
import { statsQuery } from '../routes/stats.routes.ts'
import type { OperationSpec } from './operation-spec.ts'

export const serverOperations: ReadonlyArray<OperationSpec> = [
  {
    method: 'GET',
    path: '/healthz',
    summary: 'Liveness: the process answers',
    tag: 'operations',
    access: 'public',
    replies: { 200: { description: 'Alive', schema: healthReply } },
  },
  {
    method: 'GET',
    path: '/readyz',
    summary: 'Readiness: database, migrations and workspaces',
    tag: 'operations',
    access: 'public',
    replies: {
      200: { description: 'Ready', schema: readinessReply },
      503: {
        description: 'Not ready, or shutting down (each check says why)',
        schema: readinessReply,
      },
    },
  },
  {
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tag: 'operations',
    access: 'metrics',
    replies: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } },
  },
  {
    method: 'GET',
    path: '/api/config',
    summary: 'What a client needs before logging in',
    tag: 'operations',
    access: 'public',
    replies: { 200: { description: 'The public settings', schema: configReply } },
  },
  {
    method: 'GET',
    path: '/api/stats',
    summary: 'Job counts per status',
    tag: 'stats',
    access: 'user',
    query: statsQuery,
    replies: { 200: { description: 'Counts of every status', schema: jobCountsReply } },
  },
  {
    method: 'GET',
    path: '/api/openapi.json',
    summary: 'This document',
    tag: 'operations',
    access: 'public',
    replies: { 200: { description: 'OpenAPI 3.1', contentType: 'application/json' } },
  },
]
