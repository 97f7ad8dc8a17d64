# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2034 # variables here are used by the sourcing scripts
#
# Shared helpers for scripts/setup, scripts/test, scripts/run and the shell
# tests. Source it; it defines variables and functions and runs nothing.
#
# Overridable from the environment:
#   VACCEL_BUILD_DIR       the main build directory (default: build)
#   VACCEL_ASAN_BUILD_DIR  the sanitizer build directory (default: build-asan)
#   VACCEL_SKIP_APT=1      never call apt-get (fail if a package is missing)

# The repository root: scripts/.. wherever this file is sourced from.
VACCEL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Every Debian package the project needs to build and test. THE one list:
# append here when a part gains a dependency (scripts/setup installs what is
# missing, so a rerun on a ready machine never touches the network).
# Why each is here:
#   meson ninja-build pkg-config gcc  the build
#   libffi-dev                        calling into real libraries generically
#   libopenblas-dev                   the OpenBLAS backend plugin
#   libmsgpack-dev                    the wire codec (pkg-config: msgpack)
#   libcriterion-dev                  unit tests
#   libgnutls28-dev                   the tls transport (pkg-config: gnutls)
#   openssl                           the tls tests' certificates (openssl req)
#   clang libclang-rt-14-dev          sanitizer and fuzzing builds
#   python3                           codegen/vaccel_codegen.py
#   libblas-test                      netlib's BLAS testers (xblat1/2/3)
#   python3-numpy                     numpy under the BLAS shim (tests/shim,
#                                     scripts/run), with /usr/bin/python3
#   python3-scipy python3-pytest      scipy's and numpy's own test suites
#   python3-hypothesis                under the shims (tests/shim)
#   python3-cffi golang-go            the public headers read by CFFI's cdef
#                                     and by cgo (tests/vaccel)
#   qemu-system-x86 busybox-static    the real VM test (tests/vm): QEMU and
#                                     the guest's userland (its kernel is
#                                     fetched with apt-get download)
#   libonnx-testdata                  ONNX's backend test models, through
#                                     the onnx plugin (tests/onnx)
#   libtorch-dev                      the torch plugin (plugins/torch)
#   zlib1g-dev                        the codegen example's library
#                                     (examples/codegen/zlib)
#   nodejs                            npm for what only npm has
#                                     (vaccel_npm_ensure)
VACCEL_APT_PACKAGES=(
	meson
	ninja-build
	pkg-config
	gcc
	g++
	libffi-dev
	libopenblas-dev
	libmsgpack-dev
	libcriterion-dev
	libgnutls28-dev
	openssl
	clang
	libclang-rt-14-dev
	python3
	libblas-test
	python3-numpy
	python3-scipy
	python3-pytest
	python3-hypothesis
	python3-cffi
	libopencv-dev
	python3-opencv
	opencv-data
	opencv-doc
	golang-go
	qemu-system-x86
	busybox-static
	libonnx-testdata
	nodejs
	libtorch-dev
	zlib1g-dev
)

# Options every configuration of the project gets: a missing dependency
# fails the build instead of silently dropping a part.
VACCEL_MESON_OPTIONS=(-Dauto_features=enabled)
# But for the CUDA toolkit, which is no Debian package: the cuda plugin is
# built where the toolkit is (VACCEL_CUDA, /usr/local/cuda by default) and
# left out, said so in the summary, where it is not.
VACCEL_CUDA="${VACCEL_CUDA:-/usr/local/cuda}"
if [ -e "$VACCEL_CUDA/include/cublas_v2.h" ]; then
	VACCEL_MESON_OPTIONS+=(-Dplugin-cuda=enabled "-Dcuda-path=$VACCEL_CUDA")
else
	VACCEL_MESON_OPTIONS+=(-Dplugin-cuda=disabled)
fi

# The sanitizer build's extra options. b_lundef=false: a sanitized shared
# object leaves the runtime's symbols to the executable.
VACCEL_ASAN_MESON_OPTIONS=("-Db_sanitize=address,undefined" -Db_lundef=false)

VACCEL_BUILD_DIR="${VACCEL_BUILD_DIR:-build}"
VACCEL_ASAN_BUILD_DIR="${VACCEL_ASAN_BUILD_DIR:-build-asan}"

# Make a build directory path absolute (relative ones are under the root).
vaccel_abs_dir() {
	case "$1" in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$VACCEL_ROOT/$1" ;;
	esac
}

# Messages go to stderr so that a script's stdout stays its result.
vaccel_log() { printf '[%s] %s\n' "${VACCEL_SCRIPT:-vaccel}" "$*" >&2; }
vaccel_die() {
	vaccel_log "ERROR: $*"
	exit 1
}

# Run a command as root: directly when we are root, else through sudo
# (non-interactive: in CI there is nobody to type a password).
vaccel_as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -n "$@" || {
			local rc=$?
			vaccel_log "sudo failed (exit $rc): need passwordless sudo, or run as root"
			return "$rc"
		}
	else
		vaccel_log "need root to run: $*"
		vaccel_log "run as root or install sudo"
		return 1
	fi
}

# Print the packages (one a line) that dpkg does not report as installed.
vaccel_missing_packages() {
	local p status
	for p in "$@"; do
		status="$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)"
		[ "$status" = installed ] || printf '%s\n' "$p"
	done
}

# Install whatever of the given packages is missing; a no-op (and offline)
# when all are installed. `apt-get update` runs at most once per call.
vaccel_apt_ensure() {
	local missing
	mapfile -t missing < <(vaccel_missing_packages "$@")
	if [ "${#missing[@]}" -eq 0 ]; then
		vaccel_log "all ${#} packages installed"
		return 0
	fi
	vaccel_log "missing packages: ${missing[*]}"
	if [ "${VACCEL_SKIP_APT:-0}" = 1 ]; then
		vaccel_log "VACCEL_SKIP_APT=1: not installing them"
		return 1
	fi
	command -v apt-get >/dev/null 2>&1 ||
		{ vaccel_log "no apt-get: install them by hand"; return 1; }
	# Lock timeout: on a fresh CI machine unattended-upgrades may hold the
	# dpkg lock for a while after boot.
	local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q
		-o DPkg::Lock::Timeout=300)
	vaccel_as_root "${apt[@]}" update || return 1
	vaccel_as_root "${apt[@]}" install -y --no-install-recommends \
		"${missing[@]}" || return 1
	mapfile -t missing < <(vaccel_missing_packages "$@")
	if [ "${#missing[@]}" -ne 0 ]; then
		vaccel_log "still missing after apt-get install: ${missing[*]}"
		return 1
	fi
}

# vaccel_npm_ensure: what only npm has (package.json, its lock: ONNX
# Runtime's shared library from onnxruntime-node, the OCR models), into
# node_modules/ of the tree; a no-op (and offline) when each dependency is
# installed at its version. Install scripts never run (onnxruntime-node's
# would download more). Debian's npm is installed when there is none (a
# Node.js from elsewhere brings its own).
vaccel_npm_ensure() {
	if command -v node >/dev/null 2>&1 &&
		(cd "$VACCEL_ROOT" && node -e '
			const deps = require("./package.json").dependencies;
			for (const [name, want] of Object.entries(deps)) {
				const got = require("./node_modules/" + name +
					"/package.json").version;
				if (got !== want) process.exit(1);
			}' 2>/dev/null); then
		vaccel_log "npm packages installed"
		return 0
	fi
	command -v npm >/dev/null 2>&1 || vaccel_apt_ensure npm || return 1
	vaccel_log "installing npm packages (package-lock.json)"
	(cd "$VACCEL_ROOT" && ONNXRUNTIME_NODE_INSTALL=skip \
		npm ci --ignore-scripts --no-audit --no-fund)
}

# vaccel_meson_configure DIR [meson options...]
# Configure DIR, or reconfigure it (applying the options) when it already
# holds a configuration. Meson itself starts afresh from a configuration it
# cannot read (another meson version, a corrupt file); a failure here is a
# real error in the build files, so the directory is never wiped for it.
vaccel_meson_configure() {
	local dir
	dir="$(vaccel_abs_dir "$1")"
	shift
	if [ -f "$dir/meson-private/coredata.dat" ]; then
		meson setup --reconfigure "$dir" "$VACCEL_ROOT" "$@"
	else
		meson setup "$dir" "$VACCEL_ROOT" "$@"
	fi
}

# vaccel_build DIR [meson options...]: configure (or reconfigure) and build.
vaccel_build() {
	local dir
	dir="$(vaccel_abs_dir "$1")"
	shift
	vaccel_meson_configure "$dir" "$@"
	ninja -C "$dir"
}

# vaccel_compile_example OUT [SRC]: compile SRC (default
# examples/vaccel_api_example.c) into OUT with nothing but what
# `pkg-config vaccel` gives (PKG_CONFIG_PATH / _SYSROOT_DIR are the
# caller's to set), warnings as errors.
vaccel_compile_example() {
	local out="$1" src="${2:-$VACCEL_ROOT/examples/vaccel_api_example.c}"
	local flags
	flags="$(pkg-config --cflags --libs vaccel)" ||
		{ vaccel_log "pkg-config cannot find vaccel (PKG_CONFIG_PATH=${PKG_CONFIG_PATH:-})"; return 1; }
	vaccel_log "cc -std=c11 -Wall -Wextra -Werror ... $flags"
	# shellcheck disable=SC2086 # pkg-config output is a word list
	"${CC:-cc}" -std=c11 -Wall -Wextra -Werror -o "$out" \
		"$src" $flags
}

# vaccel_install_staged BUILD ROOT: `meson install --destdir ROOT` of the
# configured BUILD, as a user's machine would have it; sets
# VACCEL_STAGED_PREFIX (the prefix, under ROOT) and VACCEL_STAGED_LIBDIR
# (libdir, under ROOT: multiarch on Debian) and points pkg-config there
# (the sysroot prefixes the .pc files' paths with ROOT, as when
# cross-compiling).
vaccel_install_staged() {
	local build="$1" root="$2" prefix libdir
	{
		read -r prefix
		read -r libdir
	} < <(meson introspect --buildoptions "$build" | /usr/bin/python3 -c '
import json, os, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(o["prefix"])
print(os.path.join(o["prefix"], o["libdir"]))')
	[ -n "$libdir" ] || { vaccel_log "cannot read prefix/libdir from $build"; return 1; }
	vaccel_log "installing $build into $root (prefix $prefix)"
	meson install -C "$build" --destdir "$root" --quiet ||
		{ vaccel_log "meson install -C $build failed"; return 1; }
	VACCEL_STAGED_PREFIX="$root$prefix"
	VACCEL_STAGED_LIBDIR="$root$libdir"
	export PKG_CONFIG_PATH="$VACCEL_STAGED_LIBDIR/pkgconfig"
	export PKG_CONFIG_LIBDIR="$VACCEL_STAGED_LIBDIR/pkgconfig"
	export PKG_CONFIG_SYSROOT_DIR="$root"
}

# vaccel_build_file BUILD RELPATH...: print the first of BUILD/RELPATH that
# exists (a part may move within the build tree); fail when none does.
vaccel_build_file() {
	local build="$1" rel
	shift
	for rel in "$@"; do
		if [ -e "$build/$rel" ]; then
			printf '%s\n' "$build/$rel"
			return 0
		fi
	done
	vaccel_log "not built: none of $* under $build"
	return 1
}

# vaccel_agent_start AGENT LOG URL PLUGINS [agent options...]: start
# vaccel-agent in the background listening on URL (unix:///path) with the
# ':'-separated PLUGINS, its output in LOG; wait until it says it is ready
# and its socket exists (at most 10 s). Sets VACCEL_AGENT_PID.
vaccel_agent_start() {
	local agent="$1" log="$2" url="$3" plugins="$4"
	shift 4
	local sock="${url#unix://}"
	"$agent" -a "$url" --plugins "$plugins" "$@" >"$log" 2>&1 &
	VACCEL_AGENT_PID=$!
	local i
	for i in $(seq 200); do
		if ! kill -0 "$VACCEL_AGENT_PID" 2>/dev/null; then
			cat "$log" >&2
			vaccel_log "the agent exited before it was ready"
			return 1
		fi
		if [ -S "$sock" ] && grep -q ready "$log"; then
			return 0
		fi
		sleep 0.05
	done
	cat "$log" >&2
	vaccel_log "the agent was not ready after 10 s"
	return 1
}

# vaccel_agent_stop LOG: SIGTERM the agent vaccel_agent_start started and
# wait for it; non-zero (with its log on stderr) unless it exited 0.
vaccel_agent_stop() {
	local log="$1" rc=0
	[ -n "${VACCEL_AGENT_PID:-}" ] || return 0
	kill -TERM "$VACCEL_AGENT_PID" 2>/dev/null || true
	wait "$VACCEL_AGENT_PID" || rc=$?
	VACCEL_AGENT_PID=
	if [ "$rc" -ne 0 ]; then
		cat "$log" >&2
		vaccel_log "the agent exited with status $rc"
	fi
	return "$rc"
}
