# SPDX-License-Identifier: MIT
# The two commands of README.md, and a few more.
#
#   make demo   build, start the local WeCom emulator, upload a file and
#               download it back
#   make test   build and run the test suite (ctest)
#
# Each first checks the Debian packages it needs: as root on Debian it
# installs the missing ones, otherwise it prints the apt-get line to run.

BUILD       ?= build
BUILD_TYPE  ?= RelWithDebInfo
CMAKE_FLAGS ?=
CTEST_FLAGS ?= -LE bench
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)

DEB_PACKAGES = cmake ninja-build gcc libc6-dev pkg-config libmbedtls-dev \
               libjsmn-dev node-llhttp libcmocka-dev python3 openssl gnutls-bin
# mbedTLS 3.6 and llhttp 9 from Debian 13, unpacked into a folder
MBEDTLS3_SYSROOT ?= $(BUILD)-mbedtls3/sysroot

.PHONY: all deps configure build test demo install clean test-mbedtls3 bench fuzz \
        fuzz-build fuzz-long lint \
        test-armhf test-armhf-mbedtls2 test-aarch64 test-cross test-packaging \
        test-arena static-musl

all: build

deps:
	@if command -v dpkg-query >/dev/null 2>&1; then \
	  missing=""; \
	  for p in $(DEB_PACKAGES) $(EXTRA_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
	      || missing="$$missing $$p"; \
	  done; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      echo "Installing:$$missing"; \
	      apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -q --no-install-recommends $$missing; \
	    else \
	      echo "Missing Debian packages. Install them with:"; \
	      echo "  sudo apt-get install -y$$missing"; \
	      exit 1; \
	    fi; \
	  fi; \
	fi

configure: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_FLAGS)

demo: build
	@sh test/demo.sh $(BUILD)

install: build
	cmake --install $(BUILD)

# The same suite against mbedTLS 3.6 (and llhttp 9.2 as a library), both
# from Debian 13, linked statically so the programs need only this libc.
test-mbedtls3:
	$(MAKE) deps EXTRA_PACKAGES=mmdebstrap
	@if [ ! -f $(MBEDTLS3_SYSROOT)/usr/include/mbedtls/build_info.h ]; then \
	  mirror=$$(awk '/^URIs:/{print $$2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null); \
	  [ -n "$$mirror" ] || mirror=$$(awk '/^deb /{print $$2; exit}' /etc/apt/sources.list); \
	  mkdir -p $(MBEDTLS3_SYSROOT) && \
	  mmdebstrap --quiet --arch=$$(dpkg --print-architecture) --variant=extract \
	    --include=libmbedtls-dev,libjsmn-dev,libllhttp-dev stable $(MBEDTLS3_SYSROOT) "$$mirror"; \
	fi
	cmake -S . -B $(BUILD)-mbedtls3 -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_PREFIX_PATH=$(abspath $(MBEDTLS3_SYSROOT))/usr \
	  -DWECOM_MBEDTLS_STATIC=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD)-mbedtls3 -j $(JOBS)
	cd $(BUILD)-mbedtls3 && ctest --output-on-failure -j $(JOBS) $(CTEST_FLAGS)

# The suite against Debian's mbedTLS 2.28 source built with the project's
# own configuration (packaging/mbedtls/): a static arena instead of the
# heap, a 4 KiB outgoing record, WeCom's suites only. The source package is
# fetched once into $(BUILD)-arena/mbedtls/src (apt, a private
# configuration). Then: every malloc of the tool during a 20 MiB upload and
# download, by caller (none may come from its own code or mbedTLS), and
# the smallest arena for an RSA-2048 chain (must fit the tool's).
ARENA_MIB ?= 20
test-arena:
	$(MAKE) deps
	sh test/arena/mbedtls.sh $(BUILD)-arena/mbedtls
	cmake -S . -B $(BUILD)-arena -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_PREFIX_PATH=$(abspath $(BUILD)-arena/mbedtls/prefix) \
	  -DWECOM_MBEDTLS_STATIC=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD)-arena -j $(JOBS)
	cd $(BUILD)-arena && ctest --output-on-failure -j $(JOBS) $(CTEST_FLAGS)
	python3 test/arena/no_malloc.py $(BUILD)-arena $(ARENA_MIB)
	sh test/arena/search.sh $(BUILD)-arena $(ARENA_MIB)

# Cross builds for ARM Linux, their unit and end-to-end tests run under
# qemu-user (test/packaging/cross.sh; sysroots from Debian by mmdebstrap):
#   make test-armhf            armhf,   mbedTLS 3.6, llhttp 9.2 (Debian 13)
#   make test-armhf-mbedtls2   armhf,   mbedTLS 2.28, llhttp 8.1 (Debian 12)
#   make test-aarch64          aarch64, mbedTLS 3.6, llhttp 9.2 (Debian 13)
#   make test-cross            the three, then the packaging checks
# CROSS_TESTS=ci runs the C tests and a subset of the end-to-end classes
# (what CI runs, to stay within its time); the default runs them all.
CROSS_TESTS ?= all
CROSS_CI_TESTS = ^test_|^no_heap|^e2e_(upload_UploadKinds|upload_UploadRefusals|download_Download|download_Names|hostile_HostileCertificate|files_SpecialOutputs|tls_interop_TlsInterop)$$
CROSS_CTEST_FLAGS = $(if $(filter ci,$(CROSS_TESTS)),-R '$(CROSS_CI_TESTS)')
CROSS_DEPS = mmdebstrap $(if $(shell command -v qemu-arm-static 2>/dev/null),,qemu-user)
test-armhf:
	$(MAKE) deps EXTRA_PACKAGES="$(CROSS_DEPS) crossbuild-essential-armhf"
	sh test/packaging/cross.sh armhf stable $(BUILD)-armhf $(CROSS_CTEST_FLAGS)
test-armhf-mbedtls2:
	$(MAKE) deps EXTRA_PACKAGES="$(CROSS_DEPS) crossbuild-essential-armhf"
	sh test/packaging/cross.sh armhf bookworm $(BUILD)-armhf-mbedtls2 $(CROSS_CTEST_FLAGS)
test-aarch64:
	$(MAKE) deps EXTRA_PACKAGES="$(CROSS_DEPS) crossbuild-essential-arm64"
	sh test/packaging/cross.sh aarch64 stable $(BUILD)-aarch64 $(CROSS_CTEST_FLAGS)
test-cross: test-armhf test-armhf-mbedtls2 test-aarch64 test-packaging
# What the Buildroot and Yocto recipes rely on (test/packaging/README.md).
test-packaging:
	$(MAKE) deps EXTRA_PACKAGES="$(CROSS_DEPS) crossbuild-essential-armhf crossbuild-essential-arm64"
	sh test/packaging/check.sh $(BUILD)

# libFuzzer targets and the unit tests under ASan and UBSan (clang-14).
FUZZ_SECONDS ?= 300
fuzz-build:
	$(MAKE) deps EXTRA_PACKAGES="clang-14 libclang-rt-14-dev"
	cmake -S . -B $(BUILD)-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang-14 -DWECOM_FUZZ=ON -DWECOM_FUZZ_SECONDS=$(FUZZ_SECONDS) \
	  $(CMAKE_FLAGS)
	cmake --build $(BUILD)-fuzz -j $(JOBS)

fuzz: fuzz-build
	cd $(BUILD)-fuzz && ctest --output-on-failure -j $(JOBS) -L 'unit|fuzz' -E emulator

# Every fuzz target for FUZZ_SECONDS each, JOBS at a time, for the record:
#   make fuzz-long FUZZ_SECONDS=600
# prints executions, exec/s and coverage per target and keeps the table in
# $(BUILD)-fuzz/fuzz-long.txt (logs and any crash in $(BUILD)-fuzz/fuzz-long/).
fuzz-long: fuzz-build
	python3 test/fuzz/long.py $(BUILD)-fuzz $(FUZZ_SECONDS) $(JOBS)

# Static analysis of core/, outbox/, port/ and cli/: cppcheck and clang-tidy-14 on
# the compile commands of $(BUILD)-lint; checks in .clang-tidy and
# test/lint/. Fails on any finding (list in $(BUILD)-lint/lint-findings.txt).
lint:
	$(MAKE) deps EXTRA_PACKAGES="cppcheck clang-tidy-14"
	sh test/lint/lint.sh $(BUILD)-lint $(JOBS)

# The figures README.md quotes: code size, the engine's CPU over the AEAD
# floor and its heap, then the table of wecom-media against curl built
# with the same mbedTLS (test/bench/build_curl.sh fetches curl's Debian
# source once, into build-curl/; BENCH_CURL=PATH uses another curl,
# BENCH_CURL=none leaves its columns empty). The table also measures two
# static builds of the tool: on glibc ($(BUILD)-static) and on musl with
# the project's mbedTLS configuration ($(BUILD)-musl, make static-musl;
# its column stays empty where musl-tools cannot be installed).
BENCH_CURL ?=
bench: build
	sh test/bench/size.sh $(BUILD)-size
	sh test/bench/size_features.sh $(BUILD)-size-features
	sh test/bench/run.sh $(BUILD)
	cmake --build $(BUILD) --target tcp_floor maxrss wecom_heap_preload
	cmake -S . -B $(BUILD)-static -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
	  -DWECOM_MBEDTLS_STATIC=ON -DWECOM_STATIC_CLI=ON -DWECOM_BUILD_SHARED=OFF \
	  -DWECOM_BUILD_TESTS=OFF >/dev/null
	cmake --build $(BUILD)-static --target wecom-media
	python3 test/bench/table.py $(BUILD) --static-cli $(BUILD)-static/cli/wecom-media \
	  --musl-cli "$$(WECOM_MBEDTLS_SRC=$(BUILD)-arena/mbedtls/src \
	                 sh test/bench/static_musl.sh $(BUILD)-musl || true)" \
	  --curl "$(if $(BENCH_CURL),$(BENCH_CURL),$$(sh test/bench/build_curl.sh))"

# wecom-media linked statically against musl and an mbedTLS built from
# Debian's source with packaging/mbedtls/wecom_mbedtls_config.h: the
# smallest peak RSS (about 430 KiB on x86_64), in $(BUILD)-musl/obj/cli/.
# The mbedTLS source tarball is taken from $(BUILD)-arena when make
# test-arena fetched it.
static-musl:
	WECOM_MBEDTLS_SRC=$(BUILD)-arena/mbedtls/src sh test/bench/static_musl.sh $(BUILD)-musl

clean:
	rm -rf $(BUILD) $(BUILD)-mbedtls3 $(BUILD)-arena $(BUILD)-size $(BUILD)-static $(BUILD)-musl $(BUILD)-fuzz $(BUILD)-lint
