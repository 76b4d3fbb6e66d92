# pam_tenant — one Makefile, no configure step.
#
#   make            build module, helper, tenantctl (release paths)
#   make check      every test tier; root tiers skip unless run as root
#   make install    DESTDIR/PREFIX/DOCDIR honoured; helper 0755 root, never setuid
#   make uninstall  refuses while /etc/pam.d names pam_tenant (FORCE=1 overrides)
#   V=1             show full command lines; CPPFLAGS/CFLAGS/LDFLAGS honoured
#   make demo       throwaway sshd + demo user, side-by-side view
#
# Three builds share the sources and differ only in compiled-in paths:
#   build/release  the installed product
#   build/e2e      same code, paths inside the build tree (tests, demo),
#                  plus fault injection (common/fault.h: never in release)
#   build/test     e2e paths plus TN_TESTING: the module accepts helper=
#                  (used only by the module return-code tests)

# The one place the version lives (tenantctl --version).
VERSION    := 0.1.0

PREFIX     ?= /usr
SYSCONFDIR ?= /etc
MULTIARCH  := $(shell $(CC) -print-multiarch 2>/dev/null)
SECUREDIR  ?= $(PREFIX)/lib/$(MULTIARCH)/security
LIBEXECDIR ?= $(PREFIX)/libexec
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/pam_tenant
DATADIR    ?= $(PREFIX)/share
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions

CC      ?= cc
CFLAGS  ?= -O2 -g
# CPPFLAGS, CFLAGS and LDFLAGS are the builder's (dpkg-buildflags): they
# come last, so they win.  V=1 shows every command line in full.
V       ?= 0
ifeq ($(V),1)
Q        =
quiet    = @:
else
Q        = @
quiet    = @echo
endif

# cc-option FLAG: FLAG if $(CC) accepts it (no warning either), else nothing.
cc-option = $(shell $(CC) -Werror $(1) -x c -c /dev/null -o /dev/null \
              >/dev/null 2>&1 && echo $(1))
WARN     = -Wall -Wextra -Wformat=2 -Werror=format-security -Wshadow \
           -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
           -Wpointer-arith -Wcast-qual -Wwrite-strings -Wundef \
           -Wnull-dereference -Wimplicit-fallthrough -Wswitch-enum \
           -Winit-self -Wvla \
           $(call cc-option,-Wmisleading-indentation)
# WERROR=1: every warning is an error (CI builds with gcc and clang so).
ifeq ($(WERROR),1)
WARN    += -Werror
endif
# Probed, not assumed: -fcf-protection is x86 only, -fstack-clash-protection
# needs GCC 8 / clang 11, -ftrivial-auto-var-init=zero GCC 12 / clang 16.
# _FORTIFY_SOURCE: the builder's level if CPPFLAGS sets one, else 2.
HARDEN  := $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS)),,-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2) \
           -fstack-protector-strong \
           $(call cc-option,-fstack-clash-protection) \
           $(call cc-option,-fcf-protection) \
           $(call cc-option,-ftrivial-auto-var-init=zero) \
           -fno-strict-aliasing
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -DTN_VERSION='"$(VERSION)"' -Icommon -Iconf $(WARN) $(HARDEN) \
             -fPIC $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
LDHARDEN = -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack -Wl,--as-needed
MODULE_MAP  = pam_module/module.map
LDFLAGS_SO  = -shared -Wl,--version-script=$(MODULE_MAP) \
              -Wl,--no-undefined $(LDHARDEN) $(LDFLAGS)
LDFLAGS_EXE = -pie $(LDHARDEN) $(LDFLAGS)

COMMON_SRCS = $(wildcard common/*.c) $(wildcard conf/*.c)
MODULE_SRCS = $(wildcard pam_module/*.c)
HELPER_SRCS = $(wildcard helper/*.c)
CTL_SRCS    = $(wildcard tools/*.c)
SD_SRCS     = $(wildcard systemd/*.c)

E2E_DIR = $(CURDIR)/build/e2e

release_PATHS = -DTN_HELPER_PATH='"$(LIBEXECDIR)/pam_tenant/tenant-helper"' \
                -DTN_SD_PLUGIN_PATH='"$(LIBEXECDIR)/pam_tenant/tenant-systemd.so"' \
                -DTN_CONF_PATH='"$(SYSCONFDIR)/security/tenant.conf"' \
                -DTN_CONF_DIR='"$(SYSCONFDIR)/security/tenant.d"'
e2e_PATHS     = -DTN_HELPER_PATH='"$(E2E_DIR)/tenant-helper"' \
                -DTN_SD_PLUGIN_PATH='"$(E2E_DIR)/tenant-systemd.so"' \
                -DTN_CONF_PATH='"$(E2E_DIR)/etc/tenant.conf"' \
                -DTN_CONF_DIR='"$(E2E_DIR)/etc/tenant.d"' \
                -DTN_FAULT_DIR='"$(E2E_DIR)/faults"'
test_PATHS    = $(e2e_PATHS) -DTN_TESTING=1

VARIANTS = release e2e test
objs = $(patsubst %.c,build/$(1)/obj/%.o,$(2))

.PHONY: all check check-unit check-module check-e2e check-vm install \
        uninstall clean demo format format-check analyze bench deb deb-lint \
        test-bins build-clang build-arm64 \
        check-asan
all: build/release/pam_tenant.so build/release/tenant-helper \
     build/release/tenantctl build/release/tenant-systemd.so

define variant
build/$(1)/obj/%.o: %.c $$(wildcard common/*.h conf/*.h pam_module/*.h helper/*.h)
	@mkdir -p $$(dir $$@)
	$$(quiet) "  CC      $$@"
	$$(Q)$$(CC) $$(ALL_CFLAGS) $$($(1)_PATHS) -c -o $$@ $$<
build/$(1)/libcommon.a: $$(call objs,$(1),$$(COMMON_SRCS))
	$$(quiet) "  AR      $$@"
	$$(Q)rm -f $$@ && $$(AR) rcs $$@ $$^
build/$(1)/pam_tenant.so: $$(call objs,$(1),$$(MODULE_SRCS)) build/$(1)/libcommon.a pam_module/module.map
	$$(quiet) "  LD      $$@"
	$$(Q)$$(CC) $$(ALL_CFLAGS) $$(LDFLAGS_SO) -o $$@ $$(filter %.o %.a,$$^) -lpam -laudit
build/$(1)/tenant-helper: $$(call objs,$(1),$$(HELPER_SRCS)) build/$(1)/libcommon.a
	$$(quiet) "  LD      $$@"
	$$(Q)$$(CC) $$(ALL_CFLAGS) $$(LDFLAGS_EXE) -o $$@ $$^ -laudit -lcap
build/$(1)/tenantctl: $$(call objs,$(1),$$(CTL_SRCS)) build/$(1)/libcommon.a
	$$(quiet) "  LD      $$@"
	$$(Q)$$(CC) $$(ALL_CFLAGS) $$(LDFLAGS_EXE) -o $$@ $$^ -laudit -lcap
# The systemd backend's bus half: dlopen()ed by the helper on systemd hosts only.
build/$(1)/tenant-systemd.so: $$(call objs,$(1),$$(SD_SRCS)) build/$(1)/libcommon.a
	$$(quiet) "  LD      $$@"
	$$(Q)$$(CC) $$(ALL_CFLAGS) -shared -Wl,--no-undefined -Wl,--exclude-libs,ALL $$(LDHARDEN) \
	    -o $$@ $$^ -lsystemd
endef
$(foreach v,$(VARIANTS),$(eval $(call variant,$(v))))

# ---- tests -----------------------------------------------------------
UNIT_TESTS   = $(patsubst tests/unit/%.c,build/tests/%,$(wildcard tests/unit/test-*.c))
MODULE_TESTS = $(patsubst tests/module/%.c,build/tests/%,$(wildcard tests/module/*.c))

build/tests/%: tests/unit/%.c tests/lib/tap.h build/test/libcommon.a
	@mkdir -p $(dir $@)
	$(quiet) "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(test_PATHS) -Itests/lib $(LDFLAGS) -o $@ $< build/test/libcommon.a -lcap -laudit -lpam
build/tests/%: tests/module/%.c tests/lib/tap.h build/test/libcommon.a
	@mkdir -p $(dir $@)
	$(quiet) "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(test_PATHS) -Itests/lib $(LDFLAGS) -o $@ $< build/test/libcommon.a -lpam -ldl -lcap -laudit

# Run in the cgroup v2 VM (tests/vm/guest/cgroup-attach.sh), built here.
build/tests/cg-attach-check: tests/vm/cg-attach-check.c tests/lib/tap.h build/test/libcommon.a
	@mkdir -p $(dir $@)
	$(quiet) "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(test_PATHS) -Itests/lib $(LDFLAGS) -o $@ $< build/test/libcommon.a

build/tests/sshd-noaudit: tests/tools/sshd-noaudit.c
	@mkdir -p $(dir $@)
	$(quiet) "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

build/tests/tenant-root: tests/tools/tenant-root.c
	@mkdir -p $(dir $@)
	$(quiet) "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< -lcap

# ---- issue 11 (the user's view): a client of the user status socket ----
build/tests/status-peer: tests/tools/status-peer.c build/test/libcommon.a
	@mkdir -p $(dir $@)
	$(quiet) "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(test_PATHS) $(LDFLAGS) -o $@ $< build/test/libcommon.a
# ---- end issue 11 ----

# ---- issue 10 (faults): a login program's PAM cycle under a resource fault ----
build/tests/pam-fault-driver: tests/tools/pam-fault-driver.c
	@mkdir -p $(dir $@)
	$(quiet) "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< -lpam
# e2e 67-faults-enosys: system calls made to fail with ENOSYS (seccomp).
build/tests/enosys-shim: tests/tools/enosys-shim.c
	@mkdir -p $(dir $@)
	$(quiet) "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<
# e2e 68-faults-nss: a slow or failing NSS backend (for the helper only).
build/tests/libnss_tnslow.so.2: tests/tools/nss-tnslow.c
	@mkdir -p $(dir $@)
	$(quiet) "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -shared -Wl,-soname,libnss_tnslow.so.2 $(LDFLAGS) -o $@ $<
# ---- end issue 10 (faults) ----

# ---- e2e 59-upgrade (F30): this build and "the next release" (the same
# code with the next protocol version), installed in turn into one place
# as a package upgrade would.
UPGRADE_DIR = $(CURDIR)/build/upgrade
upgrade_PATHS     = -DTN_HELPER_PATH='"$(UPGRADE_DIR)/tenant-helper"' \
                    -DTN_SD_PLUGIN_PATH='"$(UPGRADE_DIR)/tenant-systemd.so"' \
                    -DTN_CONF_PATH='"$(UPGRADE_DIR)/etc/tenant.conf"' \
                    -DTN_CONF_DIR='"$(UPGRADE_DIR)/etc/tenant.d"'
upgrade-old_PATHS = $(upgrade_PATHS)
upgrade-new_PATHS = $(upgrade_PATHS) -DTN_PROTO_VERSION_SKEW=1
$(foreach v,upgrade-old upgrade-new,$(eval $(call variant,$(v))))
UPGRADE_BINS = $(foreach v,upgrade-old upgrade-new,\
                 build/$(v)/pam_tenant.so build/$(v)/tenant-helper build/$(v)/tenantctl)

FAKE_MODES = crash hang exit1 silent garbage huge wrong-cookie allow-then-crash \
             exempt exempt-then-fail isolated-no-fds
FAKE_HELPERS = $(patsubst %,build/tests/fake-helper-%,$(FAKE_MODES))
build/tests/fake-helper-%: tests/module/fake/fake-helper.c build/test/libcommon.a
	@mkdir -p $(dir $@)
	$(quiet) "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -DFAKE_MODE='"$*"' $(LDFLAGS) -o $@ $< build/test/libcommon.a

TEST_BINS = $(UNIT_TESTS) $(MODULE_TESTS) $(FAKE_HELPERS) build/tests/sshd-noaudit \
            build/tests/tenant-root build/tests/valgrind-helper \
            build/tests/cg-attach-check build/tests/status-peer \
            build/test/pam_tenant.so build/test/tenant-helper \
            build/e2e/pam_tenant.so build/e2e/tenant-helper build/e2e/tenantctl \
            build/e2e/tenant-systemd.so build/release/tenant-systemd.so \
            build/release/pam_tenant.so build/release/tenant-helper build/release/tenantctl \
            build/bench/bench-driver build/bench/pam_bench_floor.so build/bench/floor-child \
            build/tests/pam-fault-driver build/tests/enosys-shim \
            build/tests/libnss_tnslow.so.2 $(UPGRADE_BINS)

# libFuzzer harnesses: make fuzz, make check-fuzz (and make check's fuzz tier).
include tests/fuzz/fuzz.mk

# Everything make check runs, built and not run (CI: the clang -Werror build).
.PHONY: test-bins
test-bins: $(TEST_BINS)

check: $(TEST_BINS)
	tests/run.sh all

check-unit check-module check-e2e check-vm: $(TEST_BINS)
	tests/run.sh $(patsubst check-%,%,$@)

demo: build/e2e/pam_tenant.so build/e2e/tenant-helper build/e2e/tenantctl
	tests/demo.sh

build/bench/bench-driver: bench/driver.c
	@mkdir -p $(dir $@)
	$(quiet) "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< -lpam

# The floor row (bench/floor.c): a PAM module the driver runs and the
# static program it execs.
build/bench/pam_bench_floor.so: bench/floor.c
	@mkdir -p $(dir $@)
	$(quiet) "  CCLD    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -shared -Wl,--no-undefined $(LDHARDEN) $(LDFLAGS) -o $@ $< -lpam

build/bench/floor-child: bench/floor-child.c
	@mkdir -p $(dir $@)
	$(quiet) "  CCLD    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -static $(LDFLAGS) -o $@ $<

bench: $(TEST_BINS)
	bench/run.sh

# ---- soak (issue 10; not part of check) --------------------------------
# SOAK_CYCLES login cycles with kills and terminates, then nothing may be
# left: tests/soak/soak.sh (run it under the e2e lock on a shared host).
SOAK_CYCLES ?= 10000
.PHONY: soak
soak: $(TEST_BINS)
	SOAK_CYCLES=$(SOAK_CYCLES) bash tests/soak/soak.sh
# The same with 1,000 cycles in the cgroup v2 VM (9-20 min under TCG).
.PHONY: soak-vm
soak-vm: $(TEST_BINS)
	MUST_WORK=1 bash tests/vm/soak-vm.sh
# ---- end soak ----

# ---- install ---------------------------------------------------------
install: all
	install -d -m 0755 $(DESTDIR)$(SECUREDIR) $(DESTDIR)$(LIBEXECDIR)/pam_tenant \
	    $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/security/tenant.d \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 build/release/pam_tenant.so $(DESTDIR)$(SECUREDIR)/pam_tenant.so
	install -m 0755 build/release/tenant-helper $(DESTDIR)$(LIBEXECDIR)/pam_tenant/tenant-helper
	install -m 0644 build/release/tenant-systemd.so $(DESTDIR)$(LIBEXECDIR)/pam_tenant/tenant-systemd.so
	install -m 0755 build/release/tenantctl $(DESTDIR)$(SBINDIR)/tenantctl
	test -e $(DESTDIR)$(SYSCONFDIR)/security/tenant.conf || \
	    install -m 0644 conf/tenant.conf $(DESTDIR)$(SYSCONFDIR)/security/tenant.conf
	install -m 0644 man/tenant.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/pam_tenant.8 man/tenantctl.8 man/tenant-helper.8 $(DESTDIR)$(MANDIR)/man8/
	install -d -m 0755 $(DESTDIR)$(DOCDIR)/docs
	install -m 0644 README.md SECURITY.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(wildcard docs/*.md) $(DESTDIR)$(DOCDIR)/docs/
	# ---- tenantctl's bash completion ----
	install -d -m 0755 $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 tools/bash-completion/tenantctl $(DESTDIR)$(BASHCOMPDIR)/tenantctl

# A "session required pam_tenant.so" line left behind fails every session,
# root's included: refuse while the PAM configuration names the module.
# FORCE=1 removes the files anyway (fix /etc/pam.d first, from a root
# shell you keep open).
PAMDIR ?= $(SYSCONFDIR)/pam.d
uninstall:
	@files=$$(grep -lsE '^[[:space:]]*[^#[:space:]].*pam_tenant' \
	    $(DESTDIR)$(PAMDIR)/* $(DESTDIR)$(SYSCONFDIR)/pam.conf); \
	if [ -n "$$files" ] && [ "$(FORCE)" != 1 ]; then \
	    echo "make uninstall: refusing: the PAM configuration still names pam_tenant:" >&2; \
	    for f in $$files; do echo "    $$f" >&2; done; \
	    echo "Remove those lines first (a session line naming a missing module fails" >&2; \
	    echo "every login, root's included), or run 'make uninstall FORCE=1'." >&2; \
	    exit 1; \
	fi
	rm -f $(DESTDIR)$(SECUREDIR)/pam_tenant.so \
	    $(DESTDIR)$(LIBEXECDIR)/pam_tenant/tenant-helper $(DESTDIR)$(SBINDIR)/tenantctl \
	    $(DESTDIR)$(LIBEXECDIR)/pam_tenant/tenant-systemd.so \
	    $(DESTDIR)$(MANDIR)/man5/tenant.conf.5 $(DESTDIR)$(MANDIR)/man8/pam_tenant.8 \
	    $(DESTDIR)$(MANDIR)/man8/tenantctl.8 $(DESTDIR)$(MANDIR)/man8/tenant-helper.8 \
	    $(DESTDIR)$(BASHCOMPDIR)/tenantctl
	rm -f $(DESTDIR)$(DOCDIR)/README.md $(DESTDIR)$(DOCDIR)/SECURITY.md \
	    $(addprefix $(DESTDIR)$(DOCDIR)/,$(wildcard docs/*.md))
	-rmdir $(DESTDIR)$(LIBEXECDIR)/pam_tenant $(DESTDIR)$(DOCDIR)/docs $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build tests/vm/.cache

# ---- Debian package (debian/) -----------------------------------------
# dpkg-buildpackage writes next to the source tree and `debian/rules clean`
# removes build/: build a copy of the tree in build/deb/src so that the
# .deb lands in build/deb and nothing outside the clone is touched.
DEB_SRC = build/deb/src/pam-tenant-$(VERSION)
deb:
	rm -rf build/deb && mkdir -p $(DEB_SRC)
	tar -c --exclude=./build --exclude=./.git --exclude=./tests/vm/.cache -f - . | tar -x -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	mv build/deb/src/*.deb build/deb/src/*.buildinfo build/deb/src/*.changes build/deb/
	rm -rf build/deb/src
	@ls -l build/deb

# The package built and lintian-clean (errors and warnings fatal), TAP;
# skips without dpkg-dev/debhelper/lintian unless MUST_WORK=1.
deb-lint:
	tests/deb-lint.sh

# ---- build matrix (tests/build-matrix.sh) ------------------------------
# Every binary of every variant, nothing run.  build-clang / build-arm64:
# the whole tree with clang / cross-built for arm64, -Werror, in copies
# under build/matrix (the normal build/ is left alone).
test-bins: all $(TEST_BINS)
build-clang:
	tests/build-matrix.sh clang
build-arm64:
	tests/build-matrix.sh arm64

# ---- code quality ----------------------------------------------------
SOURCES = $(wildcard common/*.[ch] conf/*.[ch] pam_module/*.[ch] helper/*.[ch] tools/*.[ch] systemd/*.c tests/unit/*.c tests/module/*.c tests/lib/*.h bench/*.c tests/fuzz/*.[ch])
format:
	clang-format -i $(SOURCES)
format-check:
	clang-format --dry-run -Werror $(SOURCES)
# cppcheck and clang --analyze; known false findings, each justified, in
# tests/analyze/suppressions.
analyze:
	VERSION=$(VERSION) tests/analyze/run.sh

# ---- sanitizers: make check-asan (docs/testing.md, "Sanitizers") -------
# The module, helper (keeper, tenant-init) and tenantctl built with ASan and
# UBSan (every report fatal) into build/asan (e2e paths) and build/asan-test
# (test paths, helper= hook); the unit, module and e2e tiers run against
# them.  Reports go to SAN_LOG_DIR, compiled in (the helper clears its
# environment): outside /tmp, which a tenant replaces.  tests/run.sh fails
# the test after which a report appears.
SAN_LOG_DIR ?= /run/pam_tenant-asan
SAN_FLAGS    = -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer -g
ASAN_DIR     = $(CURDIR)/build/asan
asan_PATHS      = -DTN_HELPER_PATH='"$(ASAN_DIR)/tenant-helper"' \
                  -DTN_SD_PLUGIN_PATH='"$(ASAN_DIR)/tenant-systemd.so"' \
                  -DTN_CONF_PATH='"$(ASAN_DIR)/etc/tenant.conf"' \
                  -DTN_CONF_DIR='"$(ASAN_DIR)/etc/tenant.d"' \
                  -DTN_FAULT_DIR='"$(ASAN_DIR)/faults"' \
                  -DTN_SAN_LOG_DIR='"$(SAN_LOG_DIR)"'
asan-test_PATHS = $(asan_PATHS) -DTN_TESTING=1
$(foreach v,asan asan-test,$(eval $(call variant,$(v))))
build/asan/%: ALL_CFLAGS += $(SAN_FLAGS)
build/asan-test/%: ALL_CFLAGS += $(SAN_FLAGS)

# Sanitizer options for processes whose environment says nothing; the
# module's set is for the login program that loads it (exported: see
# tests/lib/sanitizer-defaults.c).
SAN_DEFAULTS = build/asan/obj/tests/lib/sanitizer-defaults.o
$(foreach v,asan asan-test,$(eval build/$(v)/tenant-helper build/$(v)/tenantctl: $(SAN_DEFAULTS)))
$(foreach v,asan asan-test,$(eval build/$(v)/pam_tenant.so: build/$(v)/obj/tests/lib/sanitizer-defaults-host.o tests/lib/module-asan.map))
build/asan/pam_tenant.so build/asan-test/pam_tenant.so: MODULE_MAP = tests/lib/module-asan.map

# e2e 85-valgrind: the ordinary e2e helper under memcheck (helper= hook).
VG_LOG_DIR ?= /run/pam_tenant-valgrind
build/tests/valgrind-helper: tests/tools/valgrind-helper.c
	@mkdir -p $(dir $@)
	$(quiet) "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -DVG_HELPER='"$(E2E_DIR)/tenant-helper"' \
	    -DVG_LOG_DIR='"$(VG_LOG_DIR)"' $(LDFLAGS) -o $@ $<

ASAN_TEST_DEFS = -DTN_TEST_E2E_SO='"build/asan/pam_tenant.so"' \
                 -DTN_TEST_TEST_SO='"build/asan-test/pam_tenant.so"' \
                 -DTN_TEST_SAN=1
build/asan/tests/%: tests/unit/%.c tests/lib/tap.h build/asan-test/libcommon.a $(SAN_DEFAULTS)
	@mkdir -p $(dir $@)
	$(quiet) "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(asan-test_PATHS) $(ASAN_TEST_DEFS) -Itests/lib $(LDFLAGS) -o $@ $< $(SAN_DEFAULTS) build/asan-test/libcommon.a -lcap -laudit -lpam
build/asan/tests/%: tests/module/%.c tests/lib/tap.h build/asan-test/libcommon.a $(SAN_DEFAULTS)
	@mkdir -p $(dir $@)
	$(quiet) "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(asan-test_PATHS) $(ASAN_TEST_DEFS) -Itests/lib $(LDFLAGS) -o $@ $< $(SAN_DEFAULTS) build/asan-test/libcommon.a -lpam -ldl -lcap -laudit

ASAN_BINS = $(patsubst build/tests/%,build/asan/tests/%,$(UNIT_TESTS) $(MODULE_TESTS)) \
            build/asan/pam_tenant.so build/asan/tenant-helper build/asan/tenantctl \
            build/asan/tenant-systemd.so build/asan-test/pam_tenant.so
# The e2e tier's own tools (tenant-root, sshd-noaudit, fake helpers, the
# bench driver) and the release build come from the ordinary build.
check-asan: $(TEST_BINS) $(ASAN_BINS)
	BUILD_DIR=build/asan E2E_BUILD=$(ASAN_DIR) TN_SAN_LOG_DIR=$(SAN_LOG_DIR) \
	    TN_SAN_PRELOAD=$$($(CC) -print-file-name=libasan.so) \
	    tests/run.sh asan
