import type { DeployTarget } from './types.js'

/**
 * Above this many paths to upload, the site goes to Netlify as one zip instead of one PUT per
 * file. Netlify allows 500 API requests a minute per token: a digest deploy needing 400 uploads,
 * plus its create call, the diff and publish polls and the site lookups around it, already spends
 * most of a minute's budget, and each further 500 uploads cost another minute of waiting for the
 * limit to reset. A zip is one request whatever the size, so from here on it wins by minutes;
 * below, the digest can win because it sends only what Netlify does not have yet, while a zip
 * sends the whole site. Measured (`npm run bench -- netlify-upload`, stand-in at 50 ms a
 * request): 1,000 new files, zip 2.0 s vs digest 126 s; 400 new files, zip 1.2 s vs digest 2.6 s;
 * 401 changed files of a 20,000-file site, zip 12.7 s vs digest 7.9 s.
 */
export const ZIP_UPLOAD_THRESHOLD = 400

export interface UploadMode {
  mode: 'digest' | 'zip'
  /** The count that made the choice: paths Netlify asked for. */
  paths: number
  /** For the log and the summary, e.g. "zip (20000 files to upload, more than 400)". */
  label: string
}

/**
 * Zip only for production: a raw `application/zip` body cannot say `draft` or `branch` (the
 * createSiteDeploy definition has only `title` besides the body), so previews, aliases and drafts
 * are always uploaded by digest, however many files they need.
 */
export function chooseUploadMode(target: DeployTarget, paths: number, threshold = ZIP_UPLOAD_THRESHOLD): UploadMode {
  if (target.kind !== 'production')
    return {
      mode: 'digest',
      paths,
      label: `digest (${paths} files to upload; ${target.kind === 'alias' ? 'previews' : 'drafts'} always upload by digest)`,
    }
  if (paths > threshold) return { mode: 'zip', paths, label: `zip (${paths} files to upload, more than ${threshold})` }
  return { mode: 'digest', paths, label: `digest (${paths} files to upload, at most ${threshold})` }
}

/**
 * What the dry run can say before Netlify has compared the files: it knows how many files the
 * site has, not how many of them Netlify still needs.
 */
export function plannedUploadMode(target: DeployTarget, files: number | undefined, threshold = ZIP_UPLOAD_THRESHOLD): string {
  if (target.kind !== 'production')
    return `digest (${target.kind === 'alias' ? 'previews' : 'drafts'} always upload by digest${files === undefined ? '' : `; ${files} files`})`
  if (files !== undefined && files <= threshold) return `digest (${files} files, so at most ${threshold} to upload)`
  return `zip if Netlify needs more than ${threshold} of the ${files ?? "site's"} files, else digest`
}
