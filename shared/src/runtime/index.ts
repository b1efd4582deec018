/**
 * Running things: child processes behind a small interface, the logger (and the masking rule),
 * phase timing, shell-word splitting. Import from '@django-deploy/shared/runtime'.
 */
export { spawnRunner, type CommandOptions, type CommandResult, type CommandRunner } from './command.js'
export { coreLogger, isTrivialValue, MemoryLogger, MIN_MASKED_LENGTH, registerSecret, type LogEntry, type Logger } from './log.js'
export { Phases, untimed, type PhaseTimer } from './phases.js'
export { splitShellWords, UnbalancedQuoteError } from './shell-words.js'
