# Thin wrapper around CMake: `make run` and `make test` work on a fresh
# Debian 12 machine, installing whatever build dependency is missing.
BUILD   ?= build
PREFIX  ?= /usr/local
JOBS    ?= 2
DEBS    := cmake make g++ pkg-config libyaml-cpp-dev libboost-program-options-dev \
           libgtest-dev libsystemd-dev mandoc groff-base python3 strace systemd
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps configure build run test install clean

all: build

deps:
	@missing=$$(for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

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

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD)

# The benchmark (bench/README.md). bench-quick: superd and the reference
# only, fewer rounds (under 2 minutes), writes bench/results-quick.md.
# bench: every server and peer (installed/unpacked from Debian by the
# script), plus the scale tests, writes bench/results.md.
# More options through BENCH_ARGS, e.g. BENCH_ARGS="--rounds 9".
BENCH_ARGS ?=
.PHONY: bench bench-quick
bench: build
	python3 bench/run --build $(BUILD) $(BENCH_ARGS)

bench-quick: build
	python3 bench/run --quick --build $(BUILD) $(BENCH_ARGS)
