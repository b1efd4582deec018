import type { ProjectModel } from '../../src/detect/model.js'

/**
 * A hand-built ProjectModel for unit tests of the generators: a flat `startproject mysite .`
 * layout with requirements.txt, overridable piece by piece.
 */
export type ModelOverrides = Omit<
  Partial<ProjectModel>,
  'settings' | 'dependencies' | 'features' | 'summary' | 'existing' | 'python'
> & {
  settings?: Partial<ProjectModel['settings']>
  dependencies?: Partial<ProjectModel['dependencies']>
  features?: Partial<ProjectModel['features']>
  summary?: Partial<ProjectModel['summary']>
  existing?: ProjectModel['existing']
  python?: ProjectModel['python']
}

export function projectModel(overrides: ModelOverrides = {}): ProjectModel {
  const { settings, dependencies, features, summary, existing, python, ...rest } = overrides
  return {
    schemaVersion: 1,
    searchRoot: '',
    appDir: '',
    managePy: 'manage.py',
    wsgiApplication: 'mysite.wsgi.application',
    facts: {},
    findings: [],
    ...rest,
    settings: {
      module: 'mysite.settings',
      decidedBy: 'manage-default',
      reason: 'manage.py defaults to mysite.settings',
      files: ['mysite/settings.py'],
      definesAll: false,
      ...settings,
    },
    python: python ?? { version: '3.12', source: '.python-version' },
    dependencies: {
      manager: 'pip',
      files: ['requirements.txt'],
      managersFound: ['pip'],
      packages: { django: '>=4.2,<5.0' },
      ...dependencies,
    },
    features: {
      wagtail: false,
      djangoBakery: false,
      wagtailBakery: false,
      djangoDistill: false,
      whitenoise: false,
      gunicorn: false,
      uvicorn: false,
      psycopg: false,
      psycopg2: false,
      mysqlclient: false,
      djDatabaseUrl: false,
      djangoEnviron: false,
      djangoStorages: false,
      ...features,
    },
    existing: existing ?? {},
    summary: {
      databaseEngine: 'django.db.backends.sqlite3',
      secretKey: 'insecure-literal',
      debug: 'true',
      whitenoiseMiddleware: false,
      storageSetting: 'none',
      installedApps: ['django.contrib.admin', 'django.contrib.staticfiles'],
      middleware: ['django.middleware.security.SecurityMiddleware'],
      ...summary,
    },
  }
}
