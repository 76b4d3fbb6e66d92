# ---- fuzzing (tests/fuzz, included by the Makefile) --------------------
#   make fuzz          each harness for FUZZ_SECONDS (default 60) or FUZZ_RUNS
#                      executions (default: no limit), one after the other;
#                      new inputs go to build/fuzz/corpus/<harness>, crashes
#                      to build/fuzz/artifacts/; FUZZ_NICE (default 10)
#   make check-fuzz    each harness for FUZZ_CHECK_SECONDS (default 5), the
#                      "fuzz" tier of make check (TAP, tests/fuzz/run.sh)
# The harnesses are libFuzzer programs (clang -fsanitize=fuzzer,address,
# undefined) built from the conf/ and protocol sources with the test
# build's paths; nothing here is linked into what make install installs.
FUZZ_CC       ?= clang
FUZZ_SECONDS  ?= 60
FUZZ_RUNS     ?= -1
FUZZ_HARNESSES = $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_BINS      = $(patsubst %,build/fuzz/%,$(FUZZ_HARNESSES))
FUZZ_LIB_SRCS  = $(wildcard conf/*.c) common/proto.c common/err.c common/identity.c \
                 common/ns.c common/uid.c
FUZZ_CFLAGS    = -std=gnu11 -D_GNU_SOURCE -DTN_VERSION='"$(VERSION)"' -Icommon -Iconf \
                 -Itests/fuzz $(WARN) $(test_PATHS) -g -O1 -fno-omit-frame-pointer \
                 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
# 1 when $(FUZZ_CC) can link a libFuzzer program (Debian: libclang-rt-14-dev).
HAVE_FUZZ     := $(shell printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\
                 { return 0; }\n' | $(FUZZ_CC) -fsanitize=fuzzer -x c - -o /dev/null \
                 >/dev/null 2>&1 && echo 1)

build/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_LIB_SRCS) \
              $(wildcard common/*.h conf/*.h)
	@mkdir -p $(dir $@)
	$(quiet) "  FUZZCC  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_SRCS) -lcap

.PHONY: fuzz check-fuzz
fuzz: $(FUZZ_BINS)
	tests/fuzz/run.sh --seconds $(FUZZ_SECONDS) --runs $(FUZZ_RUNS) $(FUZZ_HARNESSES)

# Without the fuzzer runtime the tier skips (a failure under MUST_WORK=1).
check-fuzz: $(if $(HAVE_FUZZ),$(FUZZ_BINS))
	tests/run.sh fuzz

# make check builds the harnesses too when it can (else the tier skips).
TEST_BINS += $(if $(HAVE_FUZZ),$(FUZZ_BINS))
