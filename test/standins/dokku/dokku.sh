#!/usr/bin/env bash
# Dokku stand-in dispatcher, installed as <root>/bin/dokku and named in .sshcommand, exactly where
# sshcommand's forced command expects /usr/bin/dokku. It repeats the argument handling at the top
# of Dokku's own `dokku` script -- parse_args over every word, leading global flags, quiet output
# without a TTY, and the split of SSH_ORIGINAL_COMMAND: plain word splitting for git-* / git:*
# commands, `xargs -n 1` for everything else -- and hands the resulting argument list to the Node
# implementation (program/cli.ts). Every command that arrives over SSH is logged with its timing.
set -eo pipefail
export STANDIN_ROOT='@STANDIN_ROOT@'
export DOKKU_ROOT="$STANDIN_ROOT/home"
export DOKKU_LIB_ROOT="$STANDIN_ROOT/lib"
export DOKKU_NOT_IMPLEMENTED_EXIT=10
export DOKKU_PID="${DOKKU_PID:=$$}"
export PATH="$STANDIN_ROOT/bin:/usr/local/bin:/usr/bin:/bin"

parse_args() {
  local next_index=1
  local skip=false
  local args=("$@")
  local flags
  for arg in "$@"; do
    if [[ "$skip" == "true" ]]; then
      next_index=$((next_index + 1))
      skip=false
      continue
    fi
    case "$arg" in
      --quiet) export DOKKU_QUIET_OUTPUT=1 ;;
      --trace) export DOKKU_TRACE=1 ;;
      --force) export DOKKU_APPS_FORCE_DELETE=1 ;;
      --app)
        export DOKKU_APP_NAME=${args[$next_index]}
        skip=true
        ;;
    esac
    if [[ "$skip" == "true" ]]; then
      flags="${flags} ${arg}"
    elif [[ "$arg" == "--app" ]]; then
      flags="${flags} ${arg}=${args[$next_index]}"
    elif [[ "$arg" =~ ^--.* ]]; then
      flags="${flags} ${arg}"
    fi
    next_index=$((next_index + 1))
  done
  if [[ -z "$DOKKU_GLOBAL_FLAGS" ]]; then
    export DOKKU_GLOBAL_FLAGS="$(echo -e "${flags}" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')"
  fi
}

parse_args "$@"
args=("$@")
skip_arg=false
if [[ "${args[0]}" =~ ^--.* ]]; then
  for arg in "$@"; do
    $skip_arg && skip_arg=false && continue
    if [[ "$arg" == "--version" ]]; then
      continue
    fi
    if [[ "$arg" == "--app" ]]; then
      shift 2 && skip_arg=true
    elif [[ "$arg" =~ ^--.* ]]; then
      shift 1
    else
      break
    fi
  done
fi
if [[ "$(LC_ALL=C /usr/bin/tty || true)" == "not a tty" ]]; then
  export DOKKU_QUIET_OUTPUT=1
fi
[[ $DOKKU_TRACE ]] && set -x

if [[ -n "$SSH_ORIGINAL_COMMAND" ]]; then
  started=$EPOCHREALTIME
  original=$SSH_ORIGINAL_COMMAND
  export -n SSH_ORIGINAL_COMMAND
  exit_code=0
  if [[ $1 =~ git-* ]] || [[ $1 =~ git:* ]]; then
    set -f
    "$0" $SSH_ORIGINAL_COMMAND || exit_code=$?
    set +f
  else
    readarray -t -O "${#ssh_arg_array[@]}" ssh_arg_array < <(printf '%s' "$SSH_ORIGINAL_COMMAND" | xargs -n 1)
    set -f
    "$0" "${ssh_arg_array[@]}" || exit_code=$?
    set +f
  fi
  printf '%s %s %s %s %s\n' "$started" "$EPOCHREALTIME" "$exit_code" "${NAME:-default}" "$(printf '%s' "$original" | base64 -w0)" >>"$STANDIN_ROOT/log/commands.log"
  exit "$exit_code"
fi

case "$1" in
  version | -v | --version)
    echo "dokku version $(cat "$DOKKU_LIB_ROOT/STABLE_VERSION")"
    exit 0
    ;;
esac

exec '@NODE@' "$STANDIN_ROOT/program/cli.js" "$@"
