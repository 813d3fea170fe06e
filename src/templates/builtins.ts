import { NUNJUCKS_FILTERS } from './nunjucks-filters.ts'
import type { FilterSpec, FunctionSpec, TestSpec } from './registry.ts'
import { FUNCTIONS } from './tera-functions.ts'
import { LIST_FILTERS } from './tera-list-filters.ts'
import { OTHER_FILTERS } from './tera-other-filters.ts'
import { STRING_FILTERS } from './tera-string-filters.ts'
import { TESTS } from './tera-tests.ts'

/** Every filter, test and function a template may name; anything else fails checkTemplate. */

export const FILTERS: ReadonlyMap<string, FilterSpec> = new Map(
  Object.entries({ ...STRING_FILTERS, ...LIST_FILTERS, ...OTHER_FILTERS, ...NUNJUCKS_FILTERS }),
)

export const TEST_SPECS: ReadonlyMap<string, TestSpec> = new Map(Object.entries(TESTS))

export const FUNCTION_SPECS: ReadonlyMap<string, FunctionSpec> = new Map(Object.entries(FUNCTIONS))

/** Filters that substitute their `value` argument for an undefined subject (Tera semantics). */
export const DEFAULT_FILTERS: ReadonlySet<string> = new Set(['default', 'd'])
