# dhcpd-rs: build, test and measure. Every target is a thin wrapper around
# cargo or a script in benches/, so each can also be run by hand.

CARGO  ?= cargo
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 60
# cargo's output directory (honours CARGO_TARGET_DIR like cargo does)
TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),target)
BIN := $(TARGET_DIR)/release/dhcpd
DEB_DIR := $(TARGET_DIR)/debian

.PHONY: demo-pair all build test conformance engine-vs-isc demo demo-single bench bench-parse bench-engine bench-leases bench-serve fuzz install package package-test clean

all: build

## build: the release binary, $(BIN)
build:
	$(CARGO) build --release

## test: every suite (unit, CLI against ISC, conformance, robustness, the
## lease store's crash test), then the heavy robustness cases (50 MB
## config, 1 GB lease file) at release speed
test:
	$(CARGO) build
	$(CARGO) test --no-fail-fast
	$(CARGO) test --release --test robustness --test lease_robustness -- --ignored
	@if [ "$$(id -u)" = 0 ] && [ -x /usr/sbin/dhcpd ]; then \
		$(CARGO) test --test engine_vs_isc -- --ignored --test-threads 1; \
	else echo "!!!!! engine_vs_isc NOT RUN: needs root and /usr/sbin/dhcpd !!!!!"; fi

## conformance: ISC's cases through the library and the binary, with the
## parity figures and every mismatch printed
conformance:
	$(CARGO) test --test conformance -- --nocapture

## engine-vs-isc: the engine and ISC dhcpd answer the same scripted
## clients in network namespaces the test makes; replies, log lines and
## lease files compared (needs root, ip(8) and /usr/sbin/dhcpd)
engine-vs-isc:
	$(CARGO) test --test engine_vs_isc -- --ignored --test-threads 1

## demo: the network-namespace demo lab (needs root): a failover pair built
## from a seed config (ours primary, ISC's dhcpd secondary when installed,
## else ours on both sides), and dhclient, udhcpc and dhcpcd acquiring,
## renewing and releasing leases, told step by step. DHCPD=PATH picks the
## primary's binary, DHCPD_PEER=PATH the secondary's, SEED=es|zh|ru the pair.
## See scripts/demo-lab.sh
demo: demo-pair

demo-pair:
	@if [ -z "$$DHCPD" ]; then $(CARGO) build --release; fi
	DHCPD="$${DHCPD:-$(BIN)}" scripts/demo-lab.sh

## demo-single: the smallest lab: our dhcpd serving one busybox udhcpc
## (needs root, iproute2, busybox). See demo/serve-lab.sh
demo-single: build
	demo/serve-lab.sh $(BIN)

## bench: all benchmarks
bench: bench-parse bench-engine bench-leases

## bench-engine: DISCOVER+REQUEST exchanges through the engine alone (no IO)
bench-engine:
	$(CARGO) bench --bench engine_dora

## bench-parse: `dhcpd -t` on 1,000 subnets + 100,000 hosts, ours vs ISC
## (time and peak RSS)
bench-parse: build
	benches/bench_parse.sh $(BIN) /usr/sbin/dhcpd

## bench-leases: `dhcpd -T` on a 1,000,000-lease file, ours vs ISC (time
## and peak RSS; ISC runs once), for each LAYOUT (default: 4,000 small
## pools, then 32 large ones), then commit throughput with fsync, single
## and grouped
LAYOUT ?= subnets pools-32
bench-leases: build
	$(CARGO) build --release --example lease_commit_bench
	BENCH_DIR=$(TARGET_DIR)/bench LAYOUT="$(LAYOUT)" benches/bench_leases.sh $(BIN) /usr/sbin/dhcpd

## bench-serve: serving throughput with perfdhcp in network namespaces (needs
## root and perfdhcp from kea-admin): sustained and saturation exchange rates,
## latency, CPU per lease and peak RSS, ours vs ISC, and Kea's kea-dhcp4 when
## installed (KEA=0 leaves it out). MODE=failover for a pair (each binary may
## be PRIMARY,SECONDARY; every binding checked in both lease files);
## BENCH_SERVE_BINS overrides the binaries. Not run by CI. See
## benches/bench_serve.sh
BENCH_SERVE_BINS ?= $(BIN) /usr/sbin/dhcpd
bench-serve: build
	benches/bench_serve.sh $(BENCH_SERVE_BINS)

## fuzz: the config parser under libFuzzer for FUZZ_SECONDS (needs
## `cargo install cargo-fuzz`; runs on stable through RUSTC_BOOTSTRAP)
fuzz:
	mkdir -p fuzz/corpus/conf_parse
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run conf_parse corpus/conf_parse ../conformance/public ../conformance/seeds \
		-- -max_total_time=$(FUZZ_SECONDS) -dict=conf.dict

## install: the binary as $(PREFIX)/sbin/dhcpd, its manual page as dhcpd(8)
install: build
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/dhcpd
	install -D -m 0644 docs/dhcpd.8 $(DESTDIR)$(PREFIX)/share/man/man8/dhcpd.8

## package: the Debian package, $(DEB_DIR)/dhcpd-rs_VERSION_ARCH.deb, from the
## release binary (dpkg-deb; needs dpkg-dev). See packaging/README.md
package: build
	packaging/debian/build-deb.sh $(BIN) $(DEB_DIR)

## package-test: builds the package, inspects it, installs it into throwaway
## roots and runs its scripts in private mount namespaces (needs root). Never
## installs on this host, never starts a service.
package-test: build
	packaging/test-package.sh "$$(packaging/debian/build-deb.sh $(BIN) $(DEB_DIR))"

clean:
	$(CARGO) clean
