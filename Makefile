# Thin wrapper around CMake: `make run` and `make test` work on a fresh
# Debian 12 machine, installing whatever build dependency is missing.
BUILD   ?= build
BUILD_SANITIZE ?= build-sanitize
PREFIX  ?= /usr/local
JOBS    ?= 2
# clang and libclang-rt-14-dev: libFuzzer, for the fuzz tests (tests/fuzz).
DEBS    := cmake make g++ pkg-config libyaml-cpp-dev libboost-program-options-dev \
           libgtest-dev libsystemd-dev mandoc groff-base python3 strace systemd \
           clang libclang-rt-14-dev
# Only for the tests of the package (tests/install): lintian for
# install.lintian; mmdebstrap and systemd-nspawn (systemd-container) for
# install.system, which boots a Debian 12 in a container. Installed without
# their Recommends, as every package here: libnss-mymachines would edit
# /etc/nsswitch.conf, uidmap upgrade login and passwd.
# update-inetd: Debian's own, for tests/e2e/inetd_test.cpp.
# liblua5.3-0, libopentracing-c-wrapper0, libpcre2-8-0, libssl3: the
# libraries that Debian's haproxy and nginx binaries link and a bare Debian
# 12 may lack, for the balancers that test-peers unpacks (libraries start
# no daemon; the haproxy and nginx packages themselves are not installed).
TEST_DEBS := lintian mmdebstrap systemd-container update-inetd \
             liblua5.3-0 libopentracing-c-wrapper0 libpcre2-8-0 libssl3
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps test-deps test-peers configure build run test install clean

all: build

# Installs those of the Debian packages $(1) that are missing.
install_missing = missing=$$(for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

deps:
	@$(call install_missing,$(DEBS))

test-deps:
	@$(call install_missing,$(TEST_DEBS))

# HAProxy and nginx with its stream module, for tests/e2e/balancer_test.cpp:
# Debian's own packages fetched with `apt-get download` and unpacked with
# `dpkg-deb -x` into $(1)/test-peers, never installed, because installing
# them runs their maintainer scripts, which enable and start a system-wide
# haproxy.service and an nginx on port 80. Nothing of them runs but what a
# test starts in the foreground and stops by pid. When they cannot be
# fetched (no network), the tests that need them skip, saying why.
TEST_PEER_DEBS := haproxy nginx libnginx-mod-stream
unpack_peers = d=$(1)/test-peers; \
	if [ -x $$d/usr/sbin/haproxy ] && [ -x $$d/usr/sbin/nginx ] && \
	   [ -f $$d/usr/lib/nginx/modules/ngx_stream_module.so ]; then :; else \
	  echo "unpacking into $$d: $(TEST_PEER_DEBS)"; \
	  rm -rf $$d && mkdir -p $$d/debs && cd $$d/debs && \
	  { apt-get download -q $(TEST_PEER_DEBS) || \
	    { $(SUDO) apt-get update -q && apt-get download -q $(TEST_PEER_DEBS); }; } && \
	  for deb in *.deb; do dpkg-deb -x $$deb $$d; done || \
	  echo "warning: unable to fetch $(TEST_PEER_DEBS); the balancer tests will skip"; \
	fi

test-peers: configure
	@$(call unpack_peers,$(abspath $(BUILD)))

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j$(JOBS)

run: build
	@echo "superd: serving echo, daytime, chargen, discard, time on 127.0.0.1"
	@echo "  try: nc -d 127.0.0.1 2013   (daytime)   echo hi | nc -N 127.0.0.1 2007   (echo)"
	@echo "  Ctrl-C stops it."
	$(BUILD)/superd/superd --config $(BUILD)/superd-dev.yaml

test: build test-deps test-peers
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# Installs below PREFIX (sbin/superd, libexec/superd/*, share/man, the
# sample table in etc/superd unless one is there, etc/init.d/superd,
# lib/systemd/system/superd.{service,socket}; etc is /etc and the units go
# to /lib/systemd/system when PREFIX is /usr), under DESTDIR if given:
#   make install PREFIX=/usr DESTDIR=/tmp/stage
DESTDIR ?=
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix $(PREFIX)

# A .deb of this build for Debian 12, installing below /usr whatever PREFIX
# is (packaging/README.md): $(PACKAGE_DIR)/superd_VERSION-1_ARCH.deb.
# Depends is computed by dpkg-shlibdeps, from dpkg-dev.
PACKAGE_DIR ?= $(BUILD)/package
PACKAGE_DEBS := dpkg-dev
.PHONY: package package-deps
package-deps:
	@$(call install_missing,$(PACKAGE_DEBS))

package: build package-deps
	mkdir -p $(PACKAGE_DIR)
	cpack -G DEB --config $(BUILD)/CPackConfig.cmake -B $(abspath $(PACKAGE_DIR))
	@ls -1 $(abspath $(PACKAGE_DIR))/*.deb

clean:
	rm -rf $(BUILD) $(BUILD_SANITIZE)

# Every test again, built with AddressSanitizer and UndefinedBehaviorSanitizer
# (SUPERD_SANITIZE in CMakeLists.txt) in a build directory of its own.
# A report fails the test that ran it: in superd, abort_on_error makes it a
# SIGABRT, which no test expects; a program superd runs gets only its
# table's environment, so not these options, but the e2e harness fails a
# test whose superd log holds a report. LeakSanitizer is on; it cannot
# check a process that strace traces (the Spawn tests turn it off there).
# detect_stack_use_after_return stays off, as by default: it would put the
# frames of the spawner's clone(CLONE_VM) child on the fake stack of
# superd's thread, which that child shares, and children in flight at once
# would report one another's frames.
# Excluded: label bench (bench.quick_report runs the benchmark, whose
# figures mean nothing under ASan and which takes minutes for it) and label
# install (they test what is installed and packaged, which `make test`
# covers, and building a package of instrumented binaries is slow). Not
# built: the fuzz tests (SUPERD_FUZZ), which `make test` already builds with
# ASan and UBSan.
SANITIZE_ENV := ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=0 \
                UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
.PHONY: test-sanitize

$(BUILD_SANITIZE)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_SANITIZE) -DSUPERD_SANITIZE=ON -DSUPERD_FUZZ=OFF \
	      -DCMAKE_INSTALL_PREFIX=$(PREFIX)

test-sanitize: deps test-deps $(BUILD_SANITIZE)/CMakeCache.txt
	cmake --build $(BUILD_SANITIZE) -j$(JOBS)
	@$(call unpack_peers,$(abspath $(BUILD_SANITIZE)))
	cd $(BUILD_SANITIZE) && $(SANITIZE_ENV) ctest --output-on-failure -j$(JOBS) -LE 'bench|install'

# The benchmark (bench/README.md). bench-quick: superd and the reference
# only, fewer rounds (under 2 minutes), writes bench/results-quick.md.
# bench: every server and peer (installed/unpacked from Debian by the
# script), plus the scale tests and every part of later issues (among them
# `proxy`: superd behind HAProxy with and without PROXY v2), writes
# bench/results.md.
# More options through BENCH_ARGS, e.g. BENCH_ARGS="--rounds 9".
BENCH_ARGS ?=
.PHONY: bench bench-quick
bench: build
	python3 bench/run --build $(BUILD) $(BENCH_ARGS)

bench-quick: build
	python3 bench/run --quick --build $(BUILD) $(BENCH_ARGS)

# The soak test (soak/README.md; not part of `make test`): a real superd
# under mixed load, reloads, signals and injected faults, then checks for
# lost replies, leaked descriptors, leftover children and memory growth.
# Default 5 minutes: make soak SOAK_ARGS="--minutes 20"
SOAK_ARGS ?=
.PHONY: soak
soak: build
	python3 soak/run --build $(BUILD) $(SOAK_ARGS)
