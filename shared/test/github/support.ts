import { fileURLToPath } from 'node:url'
import { createGitHubClient, type GitHubClient } from '../../src/github/client.js'
import { SecretRegistry } from '../../src/github/secrets.js'
import { ACTIONS_BOT, type User } from '../../../test/standins/github-api/state.js'
import { startGitHubApiStandin, type GitHubApiStandin } from '../../../test/standins/github-api/server.js'

/** Shared set-up for the GitHub reporting tests: a stand-in with one repository and two tokens. */
export const REPO = { owner: 'octo', repo: 'blog' }
export const FULL_NAME = 'octo/blog'
/** The workflow's GITHUB_TOKEN: an installation token acting as github-actions[bot]. */
export const ACTIONS_TOKEN = 'ghs_actionsTokenForTests0001'
/** A personal access token of the user `deployer`. */
export const PERSONAL_TOKEN = 'ghp_personalTokenForTests0001'
export const DEPLOYER: User = { login: 'deployer', id: 501, type: 'User' }
export const HUMAN: User = { login: 'ada', id: 2, type: 'User' }
export const OTHER_BOT: User = { login: 'netlify[bot]', id: 600, type: 'Bot' }

export async function startStandin(): Promise<GitHubApiStandin> {
  const github = await startGitHubApiStandin()
  github.state.addRepo(FULL_NAME)
  github.state.addToken(ACTIONS_TOKEN, { user: ACTIONS_BOT, installation: true })
  github.state.addToken(PERSONAL_TOKEN, { user: DEPLOYER })
  return github
}

export function clientFor(github: GitHubApiStandin, token = ACTIONS_TOKEN, timeoutMs?: number): GitHubClient {
  return createGitHubClient({ token, apiUrl: github.url, timeoutMs })
}

/** A registry that records instead of printing `::add-mask::`. */
export function quietSecrets(): { secrets: SecretRegistry; masked: string[] } {
  const masked: string[] = []
  return { secrets: new SecretRegistry((value) => masked.push(value)), masked }
}

export function eventFile(name: string): string {
  return fileURLToPath(new URL(`./events/${name}.json`, import.meta.url))
}
