import type { JsonValue, SettingFact, SettingsFacts, SettingValue } from './model.js'

/**
 * Secrets never leave detection. The model is printed in plans, job summaries and debug logs, so
 * a hard-coded SECRET_KEY (or its fallback default) and database passwords are replaced by
 * REDACTED before the model is returned. What kind of value it was stays visible: the summary's
 * `secretKey` says 'literal' / 'insecure-literal' / 'env', and findings say what to do.
 */
export const REDACTED = '<redacted>'

const SECRET_KEYS = new Set(['PASSWORD', 'SECRET_KEY', 'AWS_SECRET_ACCESS_KEY', 'SECRET', 'TOKEN', 'API_KEY'])

function redactJson(value: JsonValue, secret: boolean): JsonValue {
  if (typeof value === 'string') return secret ? REDACTED : value
  if (Array.isArray(value)) return value.map((item) => redactJson(item, secret))
  if (value === null || typeof value !== 'object') return value
  const result: { [key: string]: JsonValue } = {}
  for (const [key, item] of Object.entries(value)) {
    // Placeholders ($expr source text, $env names) are code, not values; their defaults are values.
    if (key === '$expr' || key === '$env' || key === 'cast' || key === 'prefix') result[key] = item
    else result[key] = redactJson(item, secret || SECRET_KEYS.has(key.toUpperCase()))
  }
  return result
}

function redactValue(value: SettingValue, secret: boolean): SettingValue {
  switch (value.kind) {
    case 'literal':
      return { ...value, value: redactJson(value.value, secret) }
    case 'env':
      return value.default === undefined ? value : { ...value, default: redactJson(value.default, secret) }
    default:
      return value
  }
}

function redactFact(fact: SettingFact, secret: boolean): SettingFact {
  const result: SettingFact = { ...fact, value: redactValue(fact.value, secret) }
  if (fact.added) result.added = fact.added.map((item) => redactJson(item, secret))
  if (fact.updates) {
    result.updates = fact.updates.map((update) => {
      const lastKey = update.keys?.[update.keys.length - 1]
      const secretItem = secret || (typeof lastKey === 'string' && SECRET_KEYS.has(lastKey.toUpperCase()))
      return { ...update, value: redactJson(update.value, secretItem) }
    })
  }
  return result
}

/** SECRET_KEY entirely; PASSWORD (and similar) entries inside DATABASES, STORAGES and the rest. */
export function redactFacts(facts: SettingsFacts): SettingsFacts {
  const result: SettingsFacts = {}
  for (const [name, fact] of Object.entries(facts) as Array<[keyof SettingsFacts, SettingFact]>) {
    result[name] = redactFact(fact, name === 'SECRET_KEY')
  }
  return result
}
