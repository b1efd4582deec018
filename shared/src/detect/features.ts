import { finding } from './findings.js'
import type { Features, Finding, Provenance } from './model.js'

/**
 * Packages that change what the actions do. A feature is on when its distribution is declared
 * (exact PEP 503 name: `django-redis` is not `redis`, `djangorestframework` is not `django`) or
 * when INSTALLED_APPS / MIDDLEWARE import its module (compared by top-level module name, never
 * by substring). A module used in settings but not declared is reported: the build would not
 * install it.
 */

interface FeatureRule {
  /** PEP 503 names of the distributions that provide it. */
  packages: readonly string[]
  /** Top-level import names that show it in INSTALLED_APPS or MIDDLEWARE. */
  modules: readonly string[]
}

export const FEATURE_RULES: Readonly<Record<keyof Features, FeatureRule>> = {
  wagtail: { packages: ['wagtail'], modules: ['wagtail'] },
  djangoBakery: { packages: ['django-bakery'], modules: ['bakery'] },
  wagtailBakery: { packages: ['wagtail-bakery'], modules: ['wagtailbakery'] },
  djangoDistill: { packages: ['django-distill'], modules: ['django_distill'] },
  whitenoise: { packages: ['whitenoise'], modules: ['whitenoise'] },
  gunicorn: { packages: ['gunicorn'], modules: [] },
  uvicorn: { packages: ['uvicorn'], modules: [] },
  psycopg: { packages: ['psycopg', 'psycopg-binary', 'psycopg-c'], modules: [] },
  psycopg2: { packages: ['psycopg2', 'psycopg2-binary'], modules: [] },
  mysqlclient: { packages: ['mysqlclient'], modules: [] },
  djDatabaseUrl: { packages: ['dj-database-url'], modules: [] },
  djangoEnviron: { packages: ['django-environ'], modules: [] },
  djangoStorages: { packages: ['django-storages'], modules: ['storages'] },
}

function topModule(dotted: string): string {
  return dotted.split('.')[0] ?? dotted
}

export function detectFeatures(
  packages: Readonly<Record<string, string>>,
  settings: { installedApps: readonly string[]; middleware: readonly string[]; databaseEngine?: string },
  options: {
    dependenciesKnown: boolean
    appsAt?: Provenance
    databaseAt?: Provenance
    /** Packages declared only in an optional extra (not installed by a deploy): name → where. */
    optionalExtras?: Readonly<Record<string, string>>
  },
): { features: Features; findings: Finding[] } {
  const findings: Finding[] = []
  const used = new Map<string, string>() // top-level module → first setting entry using it
  for (const entry of [...settings.installedApps, ...settings.middleware])
    if (!used.has(topModule(entry))) used.set(topModule(entry), entry)

  const features = {} as Features
  for (const [feature, rule] of Object.entries(FEATURE_RULES) as Array<[keyof Features, FeatureRule]>) {
    const declared = rule.packages.some((name) => name in packages)
    const module = rule.modules.find((name) => used.has(name))
    features[feature] = declared || module !== undefined
    if (!declared && module !== undefined && options.dependenciesKnown) {
      const inExtra = rule.packages
        .map((name) => [name, options.optionalExtras?.[name]] as const)
        .find((entry): entry is readonly [string, string] => entry[1] !== undefined)
      findings.push(
        finding(
          'warning',
          'installed-app-not-declared',
          inExtra
            ? `The settings use ${used.get(module)}, but ${inExtra[0]} is declared only in ${inExtra[1]}, which the build does not install, so Django fails to start. Move ${inExtra[0]} to [project] dependencies.`
            : `The settings use ${used.get(module)}, but no dependency file declares ${rule.packages[0]}, so the build will not install it and Django fails to start. Add ${rule.packages[0]} to your dependencies.`,
          options.appsAt,
        ),
      )
    }
  }

  const engine = settings.databaseEngine ?? ''
  if (options.dependenciesKnown && engine.endsWith('postgresql') && !features.psycopg && !features.psycopg2) {
    findings.push(
      finding(
        'warning',
        'database-driver-not-declared',
        'The database is PostgreSQL, but neither psycopg nor psycopg2 is declared, so Django cannot connect. Add psycopg[binary] to your dependencies.',
        options.databaseAt,
      ),
    )
  } else if (options.dependenciesKnown && engine.endsWith('mysql') && !features.mysqlclient && !('pymysql' in packages)) {
    findings.push(
      finding(
        'warning',
        'database-driver-not-declared',
        'The database is MySQL, but mysqlclient is not declared, so Django cannot connect. Add mysqlclient to your dependencies.',
        options.databaseAt,
      ),
    )
  }
  return { features, findings }
}
