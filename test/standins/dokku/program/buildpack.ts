/**
 * The herokuish build of a Python app, as heroku-buildpack-python does it, in a container of the
 * stack image (python:3.12-slim, whose pip points at the test bed's index): the package manager
 * picked from the app's files in the buildpack's order (Pipfile.lock, Pipfile, requirements.txt,
 * poetry.lock, uv.lock, setup.py), a fresh virtualenv in /app/.heroku/python holding exactly what
 * those files declare, then `manage.py collectstatic` with the app's config, failing the build as
 * the buildpack does, then the app's `bin/post_compile` hook when it has one (hooks.sh). The stand-in installs every manager's packages with pip (the index has no
 * pipenv/poetry/uv): lock files give their pinned default/main packages.
 *
 * The build cache (herokuish keeps the buildpack's cache dir per app): pip's cache, and the last
 * virtualenv, reused only when every file that declares dependencies is byte-identical.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

export type PackageManager = 'pipenv-lock' | 'pipenv' | 'pip' | 'poetry' | 'uv' | 'setup.py'

/** package_manager::determine_package_manager: the first one found wins. */
export function packageManager(dir: string): PackageManager | undefined {
  const has = (file: string) => existsSync(path.join(dir, file))
  if (has('Pipfile.lock')) return 'pipenv-lock'
  if (has('Pipfile')) return 'pipenv'
  if (has('requirements.txt')) return 'pip'
  if (has('poetry.lock')) return 'poetry'
  if (has('uv.lock')) return 'uv'
  if (has('setup.py')) return 'setup.py'
  return undefined
}

/** Every file that decides what is installed, and the files requirements.txt pulls in with -r / -c. */
export function declarationDigest(dir: string, manager: PackageManager): string {
  const hash = createHash('sha256').update(`${manager}\n`)
  const seen = new Set<string>()
  const add = (relative: string, follow: boolean): void => {
    const file = path.join(dir, relative)
    if (seen.has(file) || !existsSync(file)) return
    seen.add(file)
    const content = readFileSync(file)
    hash.update(`${relative}\n`).update(content).update('\n')
    if (!follow) return
    for (const line of content.toString('utf8').split(/\r?\n/)) {
      const match = /^\s*(?:-r|-c|--requirement|--constraint)\s*=?\s*(\S+)/.exec(line)
      if (match?.[1]) add(path.posix.join(path.posix.dirname(relative), match[1]), true)
    }
  }
  add('requirements.txt', true)
  for (const file of ['Pipfile', 'Pipfile.lock', 'pyproject.toml', 'poetry.lock', 'uv.lock', 'setup.py', 'setup.cfg'])
    add(file, false)
  return hash.digest('hex')
}

const INSTALL_COMMAND: Record<PackageManager, string> = {
  'pipenv-lock': "pipenv install --deploy (from 'Pipfile.lock')",
  pipenv: "pipenv install --skip-lock (from 'Pipfile')",
  pip: "'pip install -r requirements.txt'",
  poetry: "'poetry sync --only main'",
  uv: "'uv sync --locked --no-default-groups'",
  'setup.py': "'pip install --editable .'",
}

/** The packages a lock or a Pipfile declares, as pip requirement lines (run in the build container). */
const DECLARED_PY = String.raw`
import json, sys, tomllib
manager = sys.argv[1]
if manager == 'pipenv-lock':
    for name, spec in json.load(open('Pipfile.lock')).get('default', {}).items():
        print(name + spec.get('version', ''))
elif manager == 'pipenv':
    for name, spec in tomllib.load(open('Pipfile', 'rb')).get('packages', {}).items():
        version = spec if isinstance(spec, str) else spec.get('version', '*')
        print(name if version in ('*', '') else name + version)
elif manager == 'poetry':
    for package in tomllib.load(open('poetry.lock', 'rb')).get('package', []):
        if 'main' in (package.get('groups') or [package.get('category', 'main')]):
            print(package['name'] + '==' + package['version'])
elif manager == 'uv':
    packages = {p['name']: p for p in tomllib.load(open('uv.lock', 'rb')).get('package', [])}
    local = [p for p in packages.values() if {'editable', 'virtual'} & set(p.get('source', {}))]
    todo = [d['name'] for p in local for d in p.get('dependencies', [])]
    seen = set()
    while todo:
        name = todo.pop()
        if name not in seen and name in packages:
            seen.add(name)
            todo += [d['name'] for d in packages[name].get('dependencies', [])]
    for name in sorted(seen):
        print(name + '==' + packages[name]['version'])
`

/** The build script run in the stack image with the slug at /app and the cache at /tmp/cache. */
export function buildScript(manager: PackageManager, reuseVenv: boolean): string {
  const install =
    manager === 'pip'
      ? 'pip --python "$VENV/bin/python" install --progress-bar off -r requirements.txt'
      : manager === 'setup.py'
        ? 'pip --python "$VENV/bin/python" install --progress-bar off --editable .'
        : `python - ${manager} >/tmp/declared.txt <<'PY'\n${DECLARED_PY}\nPY\npip --python "$VENV/bin/python" install --progress-bar off -r /tmp/declared.txt`
  return `set -eo pipefail
cd /app
indent() { sed -u 's/^/       /'; }
VENV=/app/.heroku/python
export PIP_CACHE_DIR=/tmp/cache/pip PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
echo "-----> Python app detected"
version=$(python -c 'import platform; print(platform.python_version())')
if [ -f .python-version ]; then
  echo "-----> Using Python \${version%.*} specified in .python-version (the stand-in's stack has $version)"
elif [ -f runtime.txt ]; then
  echo "-----> Using Python \${version%.*} specified in runtime.txt (the stand-in's stack has $version)"
else
  echo "-----> No Python version was specified. Using the buildpack default: Python \${version%.*}"
fi
${manager === 'pipenv' ? `echo " !     Warning: No 'Pipfile.lock' found!"\n` : ''}if [ "${reuseVenv ? '1' : ''}" = 1 ] && [ -x "$VENV/bin/python" ]; then
  echo "-----> Restoring cache"
  echo "-----> Installing dependencies using ${INSTALL_COMMAND[manager].replace(/"/g, '\\"')}"
  echo "       (unchanged since the last build: the cached environment is reused)"
else
  echo "-----> Installing Python $version"
  python -m venv --without-pip "$VENV"
  echo "-----> Installing dependencies using ${INSTALL_COMMAND[manager].replace(/"/g, '\\"')}"
  { ${install}; } 2>&1 | grep -v '^\\s*$' | indent
fi
export PATH="$VENV/bin:$PATH"
manage=$(find . -maxdepth 3 -type f -name manage.py -printf '%d\\t%P\\n' | sort -nk1 | cut -f2 | head -1)
if [ -z "$DISABLE_COLLECTSTATIC" ] || [ "$DISABLE_COLLECTSTATIC" = 0 ]; then
  if [ -n "$manage" ] && python -c 'import django' 2>/dev/null; then
    echo "-----> \\$ python $manage collectstatic --noinput"
    set +e
    PYTHONPATH=\${PYTHONPATH:-.} python "$manage" collectstatic --noinput --traceback 2>&1 | sed '/^Post-processed/d;/^Copying/d;/^$/d' | indent
    status=\${PIPESTATUS[0]}
    set -e
    if [ "$status" -ne 0 ]; then
      echo
      echo " !     Error while running '\\$ python $manage collectstatic --noinput'."
      echo "       See traceback above for details."
      echo
      echo "       You may need to update application code to resolve this error."
      echo "       Or, you can disable collectstatic for this application:"
      echo
      echo "          \\$ dokku config:set APP DISABLE_COLLECTSTATIC=1"
      exit 1
    fi
  fi
fi
# hooks::run_hook post_compile: after collectstatic, in the build directory, with the app's config;
# made executable first (a shebang is needed), and a failure fails the build.
if [ -f bin/post_compile ]; then
  echo "-----> Running bin/post_compile hook"
  chmod +x bin/post_compile
  set +e
  bin/post_compile 2>&1 | indent
  status=\${PIPESTATUS[0]}
  set -e
  if [ "$status" -ne 0 ]; then
    echo
    echo " !     Error: Failed to run the bin/post_compile script."
    echo
    echo "       We found a 'bin/post_compile' script in your app source, so ran"
    echo "       it to allow for customisation of the build process."
    echo
    echo "       However, this script exited with a non-zero exit status."
    exit 1
  fi
fi
`
}
