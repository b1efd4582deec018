/** The fields of Netlify's `site` and `deploy` objects we read (swagger `site`, `deploy`; `links` is returned but not in the definition). */
export interface NetlifySite {
  id: string
  name: string
  url?: string
  ssl_url?: string
  admin_url?: string
  published_deploy?: { id?: string; locked?: boolean } | null
}

export interface NetlifyDeploy {
  id: string
  site_id?: string
  state: string
  name?: string
  url?: string
  ssl_url?: string
  deploy_url?: string
  deploy_ssl_url?: string
  admin_url?: string
  /** SHA1s Netlify does not have yet; absent until the diff is done. */
  required?: string[]
  error_message?: string | null
  branch?: string | null
  /** 'production', 'branch-deploy', 'deploy-preview', … */
  context?: string | null
  draft?: boolean
  title?: string | null
  created_at?: string
  links?: { permalink?: string; alias?: string; branch?: string }
}

/**
 * Targets (§2.6): production = `draft: false`, no branch; alias = `draft: false` + `branch`
 * (what the CLI sends; the alias URL always shows its latest deploy, production is untouched);
 * draft = `draft: true` (only the deploy's permalink).
 */
export type DeployTarget = { kind: 'production' } | { kind: 'alias'; alias: string } | { kind: 'draft' }
