import type { JsonValue, SettingFact, SettingsFacts, SettingUpdate, SettingValue } from './model.js'
import type { ConcatOperand } from './python-oracle.js'
import type { ChainEvent } from './settings-chain.js'

/**
 * Merge the flattened settings chain into one fact per setting the actions care about, the way
 * Python would leave the module namespace: the last assignment wins, and the modifications after
 * it (`.append`, `+=`, `X["k"] = v`, ...) are kept with it. An assignment resets them.
 */

export const FACT_NAMES = [
  'BASE_DIR',
  'SECRET_KEY',
  'DEBUG',
  'ALLOWED_HOSTS',
  'CSRF_TRUSTED_ORIGINS',
  'SECURE_PROXY_SSL_HEADER',
  'DATABASES',
  'STATIC_ROOT',
  'STATIC_URL',
  'STATICFILES_DIRS',
  'STATICFILES_STORAGE',
  'STORAGES',
  'MEDIA_ROOT',
  'MEDIA_URL',
  'INSTALLED_APPS',
  'MIDDLEWARE',
  'ROOT_URLCONF',
  'WSGI_APPLICATION',
  'ASGI_APPLICATION',
  'BUILD_DIR',
  'BAKERY_VIEWS',
  'COMPRESS_ENABLED',
  'COMPRESS_OFFLINE',
] as const satisfies ReadonlyArray<keyof SettingsFacts>

const SEQUENCE_ADDITIONS = new Set<SettingUpdate['op']>(['append', 'insert', 'extend', 'prepend'])

export function mergeSettingsFacts(events: readonly ChainEvent[]): SettingsFacts {
  // Every module-level name is tracked, not only the facts we report: `INSTALLED_APPS =
  // DJANGO_APPS + LOCAL_APPS` needs DJANGO_APPS (and its appends) to be computed.
  const namespace = new Map<string, SettingFact>()
  const known = (name: string): JsonValue | undefined => effectiveValue(namespace.get(name))
  for (const event of events) {
    if (event.type === 'star-import') continue
    const at = { file: event.file, line: event.line }
    if (event.type === 'assign') {
      const previous = namespace.get(event.name)
      if (event.name === 'DATABASES' && event.conditional && previous && !previous.conditional) {
        // `if os.environ.get("DB") == "mysql": DATABASES = {...}` after a default: the default is the database.
        const entry = { at, ...(event.dependsOn?.length ? { dependsOn: event.dependsOn } : {}) }
        namespace.set(event.name, { ...previous, conditionalAssignments: [...(previous.conditionalAssignments ?? []), entry] })
        continue
      }
      namespace.set(event.name, { value: computedValue(event.value, event.concat, known), at, conditional: event.conditional })
      continue
    }
    const fact = namespace.get(event.name)
    // A modification of a name never assigned in the chain (its base was not found) says too
    // little to build a fact from.
    if (!fact) continue
    const value = resolveNamedSequence(event.value, event.op, known)
    const update: SettingUpdate = {
      op: event.op,
      ...(event.keys === undefined ? {} : { keys: event.keys }),
      ...(event.index === undefined ? {} : { index: event.index }),
      value,
      at,
      conditional: event.conditional,
    }
    const next: SettingFact = { ...fact, updates: [...(fact.updates ?? []), update] }
    if (SEQUENCE_ADDITIONS.has(event.op) && event.keys === undefined) {
      const items = event.op === 'extend' || event.op === 'prepend' ? (Array.isArray(value) ? value : [value]) : [value]
      next.added = [...(fact.added ?? []), ...items]
    }
    namespace.set(event.name, next)
  }
  const facts: SettingsFacts = {}
  for (const name of FACT_NAMES) {
    const fact = namespace.get(name)
    if (fact) facts[name] = fact
  }
  return facts
}

/** `A + B + ["x"]`: a literal list when every named operand is a known literal sequence. */
function computedValue(
  value: SettingValue,
  concat: readonly ConcatOperand[] | undefined,
  known: (name: string) => JsonValue | undefined,
): SettingValue {
  if (!concat || value.kind !== 'expression') return value
  const items: JsonValue[] = []
  for (const operand of concat) {
    const part = 'items' in operand ? operand.items : known(operand.name)
    if (!Array.isArray(part)) return value
    items.push(...part)
  }
  return { kind: 'literal', value: items, source: value.source }
}

/** `X += EXTRA_APPS` arrives as { $expr: "EXTRA_APPS" }; use the list when EXTRA_APPS is known. */
function resolveNamedSequence(
  value: JsonValue,
  op: SettingUpdate['op'],
  known: (name: string) => JsonValue | undefined,
): JsonValue {
  if (op !== 'extend' && op !== 'prepend') return value
  const expression = typeof value === 'object' && value !== null && !Array.isArray(value) ? value.$expr : undefined
  if (typeof expression !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(expression)) return value
  const resolved = known(expression)
  return Array.isArray(resolved) ? resolved : value
}

/**
 * The value after every recorded modification, when the assigned value is a literal:
 * `effectiveValue(facts.STORAGES)` sees production.py's `STORAGES["staticfiles"]["BACKEND"] = ...`.
 * Undefined when the setting is not a literal (env, expression) or missing.
 */
export function effectiveValue(fact: SettingFact | undefined): JsonValue | undefined {
  if (!fact || fact.value.kind !== 'literal') return undefined
  let root = structuredClone(fact.value.value)
  for (const update of fact.updates ?? []) root = applyUpdate(root, update)
  return root
}

/** A dict we can look into; `{ $env }` / `{ $expr }` placeholders are opaque values, not dicts. */
function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !('$env' in value) && !('$expr' in value)
}

function child(container: JsonValue | undefined, key: JsonValue): JsonValue | undefined {
  if (Array.isArray(container) && typeof key === 'number') return container[key < 0 ? container.length + key : key]
  if (isObject(container) && (typeof key === 'string' || typeof key === 'number')) return container[String(key)]
  return undefined
}

function setChild(container: JsonValue | undefined, key: JsonValue, value: JsonValue): void {
  if (Array.isArray(container) && typeof key === 'number') {
    const index = key < 0 ? container.length + key : key
    if (index >= 0 && index < container.length) container[index] = value
  } else if (isObject(container) && (typeof key === 'string' || typeof key === 'number')) {
    container[String(key)] = value
  }
}

function applyUpdate(root: JsonValue, update: SettingUpdate): JsonValue {
  const keys = update.keys ?? []
  if (update.op === 'set-item') {
    if (keys.length === 0) return root
    let target: JsonValue | undefined = root
    for (const key of keys.slice(0, -1)) target = child(target, key)
    setChild(target, keys[keys.length - 1] as JsonValue, structuredClone(update.value))
    return root
  }
  let target: JsonValue | undefined = root
  for (const key of keys) target = child(target, key)
  applyInPlace(target, update)
  return root
}

function applyInPlace(target: JsonValue | undefined, update: SettingUpdate): void {
  const value = structuredClone(update.value)
  if (Array.isArray(target)) {
    const items = Array.isArray(value) ? value : [value]
    switch (update.op) {
      case 'append':
        target.push(value)
        return
      case 'extend':
        target.push(...items)
        return
      case 'prepend':
        target.unshift(...items)
        return
      case 'insert': {
        // Python's list.insert clamps the index and counts negative ones from the end.
        if (typeof update.index !== 'number') {
          target.push(value)
          return
        }
        const index = update.index < 0 ? Math.max(0, target.length + update.index) : Math.min(update.index, target.length)
        target.splice(index, 0, value)
        return
      }
      case 'remove': {
        const index = target.findIndex((item) => JSON.stringify(item) === JSON.stringify(value))
        if (index !== -1) target.splice(index, 1)
        return
      }
      default:
        return
    }
  }
  if (isObject(target) && update.op === 'update' && isObject(value)) Object.assign(target, value)
}

/** The string items of a list setting after its modifications ("$expr" items are left out). */
export function stringItems(fact: SettingFact | undefined): string[] {
  const value = effectiveValue(fact)
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}
