/** `GET /api/openapi.json`: the OpenAPI 3.1 document of every route (public, API.md §3). */
import type Router from '@koa/router'
import { VERSION } from '../../shared/version.ts'
import type { ApiDeps } from '../api-deps.ts'
import { API_COMPONENTS, apiOperations } from '../openapi/api-operations.ts'
import { buildOpenApiDocument } from '../openapi/openapi-document.ts'

export function openApiRoutes(router: Router, deps: ApiDeps): void {
  let document: string | null = null
  router.get('/api/openapi.json', (ctx) => {
    document ??= JSON.stringify(
      buildOpenApiDocument(
        apiOperations({ maxClaimWaitSecs: deps.workerProtocol.settings.maxClaimWaitSecs }),
        API_COMPONENTS,
        { version: VERSION },
      ),
    )
    ctx.type = 'application/json'
    ctx.body = document
  })
}
