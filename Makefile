# gbabridge: the two commands are `make demo` and `make test`. Each first installs the
# Debian 12 packages that are missing (and only those), then configures and builds.

BUILD_DIR      ?= build
ASAN_BUILD_DIR ?= build-asan
BUILD_TYPE     ?= RelWithDebInfo
JOBS           ?= $(shell nproc)
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS   ?= 600
CTEST_ARGS     ?=

# Build and test dependencies (Debian 12 package names).
DEB_PACKAGES := g++ cmake ninja-build ccache pkg-config \
  libssl-dev libabsl-dev libgtest-dev libgmock-dev \
  nlohmann-json3-dev libcli11-dev libtomlplusplus-dev \
  libpcsclite-dev pcscd vsmartcard-vpcd pcsc-tools \
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
  libcurl4-openssl-dev libcpp-httplib-dev libpugixml-dev libsqlite3-dev \
  libspdlog-dev libbenchmark-dev openssl util-linux e2fsprogs faketime \
  python3 python3-grpcio python3-protobuf \
  libfreediameter-dev tshark libsystemd-dev help2man dpkg-dev

# What `make fuzz` needs on top: clang and its libFuzzer/sanitizer runtimes.
FUZZ_PACKAGES := clang libclang-rt-14-dev

# Paths relative to the checkout in ccache keys, so that every clone shares one cache.
export CCACHE_BASEDIR := $(CURDIR)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps fuzz-deps install-packages configure build test test-asan bench fuzz demo deb format clean

all: build

deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(DEB_PACKAGES)"

fuzz-deps: deps
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(FUZZ_PACKAGES)"

install-packages:
	@missing=""; \
	for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	else \
	  echo "All Debian packages present."; \
	fi

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps
	[ -f $(ASAN_BUILD_DIR)/build.ninja ] || \
	  cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DGBABRIDGE_SANITIZE=ON
	cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD_DIR) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# The benchmarks in a Release build (build-release/): crypto micro-benchmarks and the
# services (real pcscd + vpcd, soft-usim, gbabridged, bsf-sim on loopback), then one table,
# also written to build/bench/results.json. Takes a few minutes (it fills bsf-sim with a
# million sessions). Needs the pcscd lock: no other pcscd may run.
bench: deps
	[ -f build-release/build.ninja ] || \
	  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build build-release -j $(JOBS) --target crypto_bench service_bench bench_report
	build-release/bench/crypto_bench --benchmark_repetitions=5 \
	  --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
	  --benchmark_out=build-release/bench/crypto.json --benchmark_out_format=json
	build-release/bench/service_bench --out build-release/bench/services.json
	mkdir -p $(BUILD_DIR)/bench
	build-release/bench/bench_report --out $(BUILD_DIR)/bench/results.json \
	  --services build-release/bench/services.json build-release/bench/crypto.json

# Every libFuzzer target (tests/fuzz/) for FUZZ_SECONDS each (default 600), in a clang
# build with ASan + UBSan (build-fuzz/). CI runs it with FUZZ_SECONDS=15.
fuzz: fuzz-deps
	[ -f $(FUZZ_BUILD_DIR)/build.ninja ] || \
	  CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD_DIR) -G Ninja \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGBABRIDGE_FUZZ=ON
	cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS)
	tests/fuzz/run_fuzzers.sh $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS)

demo: build
	tests/demo/run_demo.sh $(BUILD_DIR)

# The Debian packages (packaging/CMakeLists.txt): gbabridge (daemon, CLI, unit, user, config,
# man pages, completion) and gbabridge-tools (bsf-sim, soft-usim, examples), into
# $(BUILD_DIR)/deb/.
deb: build
	cpack --config $(BUILD_DIR)/CPackConfig.cmake -B $(BUILD_DIR)/deb
	@ls -1 $(BUILD_DIR)/deb/*.deb

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR) build-release $(FUZZ_BUILD_DIR)
