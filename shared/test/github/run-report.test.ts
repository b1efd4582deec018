import { describe, expect, it } from 'vitest'
import { ActionError } from '../../src/errors.js'
import { renderSummary, reportedRun, type DeploySummary } from '../../src/github/index.js'

/** A failed run's summary: the error's first line as the reason, its hint as "What now". */
function failed(reason: string): DeploySummary {
  return { action: 'action-dokku', outcome: 'failed', target: { kind: 'app', name: 'polls' }, reason }
}

async function summaryOf(error: unknown): Promise<DeploySummary | undefined> {
  let written: DeploySummary | undefined
  await expect(
    reportedRun(
      {
        writeSummary: async (summary) => {
          written = summary
        },
        failed,
      },
      () => Promise.reject(error),
    ),
  ).rejects.toBe(error)
  return written
}

describe('reportedRun', () => {
  it("puts an ActionError's hint under the headline: what to do and what is live", async () => {
    const error = new ActionError(
      'The HTTP check of http://polls.test/ failed: the app answered HTTP 404 (nothing is served at /).',
      {
        input: 'http-check',
        hint: 'The deploy itself succeeded and is live. Set http-check to a path that answers 2xx/3xx.',
      },
    )
    const summary = await summaryOf(error)
    expect(summary?.reason).toBe(error.message)
    expect(summary?.fix).toBe(error.hint)
    const markdown = renderSummary(summary as DeploySummary)
    expect(markdown.split('\n\n').slice(0, 2)).toEqual([
      '## Deploying polls failed: The HTTP check of http://polls.test/ failed: the app answered HTTP 404 (nothing is served at /).',
      '**What now:** The deploy itself succeeded and is live. Set http-check to a path that answers 2xx/3xx.',
    ])
  })

  it('writes no "What now" for an error without a hint, nor for an unexpected error', async () => {
    expect((await summaryOf(new ActionError('No manage.py found.')))?.fix).toBeUndefined()
    const unexpected = await summaryOf(new TypeError('x is undefined'))
    expect(unexpected?.reason).toBe('unexpected error: x is undefined')
    expect(unexpected?.fix).toBeUndefined()
    expect(renderSummary(unexpected as DeploySummary)).not.toContain('What now')
  })
})
