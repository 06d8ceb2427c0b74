# libFuzzer targets (clang): `make fuzz` runs each for FUZZ_TIME seconds;
# `make check` runs a short smoke of each (check-fuzz-smoke).
FUZZ_CC     ?= clang-14
FUZZ_TIME   ?= 30
FUZZ_SMOKE  ?= 4
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -pthread \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
               $(INCLUDES) -include $(AUTOCONF) -Itoolstack/xenstored -Itoolstack/config
FUZZERS     := fuzz_xs_wire fuzz_config
FUZZERS     += fuzz_ctl_proto
FUZZ_BINS   := $(FUZZERS:%=$(BUILD)/fuzz/%)

CHECK_TARGETS += check-fuzz-smoke

$(BUILD)/fuzz/fuzz_xs_wire: tests/fuzz/fuzz_xs_wire.c $(XS_LIB_SRCS) $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  FUZZ-CC $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(XS_LIB_SRCS) -lurcu-memb -lurcu-common

$(BUILD)/fuzz/fuzz_config: tests/fuzz/fuzz_config.c $(CFG_SRCS) $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  FUZZ-CC $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(CFG_SRCS)

# The control protocol's framing, fed through a socketpair as pvisord
# reads a client (and pvctl reads pvisord).
$(BUILD)/fuzz/fuzz_ctl_proto: tests/fuzz/fuzz_ctl_proto.c toolstack/ctl/ctl_proto.c $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  FUZZ-CC $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(WARN) -o $@ $< toolstack/ctl/ctl_proto.c

fuzz: $(FUZZ_BINS)
	$(Q)sh tests/fuzz/run.sh $(FUZZ_TIME) $(BUILD) $(FUZZERS)

check-fuzz-smoke: $(FUZZ_BINS)
	$(Q)sh tests/fuzz/run.sh $(FUZZ_SMOKE) $(BUILD) $(FUZZERS)

.PHONY: fuzz
