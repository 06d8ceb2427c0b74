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
FUZZERS     += fuzz_loader fuzz_gnttab
FUZZ_BINS   := $(FUZZERS:%=$(BUILD)/fuzz/%)

CHECK_TARGETS += check-fuzz-smoke

$(BUILD)/fuzz/fuzz_xs_wire: tests/fuzz/fuzz_xs_wire.c $(XS_LIB_SRCS) $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  FUZZ-CC $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(XS_LIB_SRCS) -lurcu-memb -lurcu-common

$(BUILD)/fuzz/fuzz_config: tests/fuzz/fuzz_config.c $(CFG_SRCS) $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  FUZZ-CC $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(CFG_SRCS) $(CFG_LDLIBS)

# The control protocol's framing, fed through a socketpair as pvisord
# reads a client (and pvctl reads pvisord).
$(BUILD)/fuzz/fuzz_ctl_proto: tests/fuzz/fuzz_ctl_proto.c toolstack/ctl/ctl_proto.c $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  FUZZ-CC $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(WARN) -o $@ $< toolstack/ctl/ctl_proto.c

# The kernel loader as pv_build() drives it, without a domain.
FUZZ_LOADER_SRCS := hypervisor/loader/bzimage.c hypervisor/loader/decompress.c \
                    hypervisor/loader/elf.c hypervisor/loader/elf_xen_guest.c \
                    hypervisor/loader/kernel_image.c \
                    hypervisor/loader/pv_layout.c hypervisor/core/log.c

$(BUILD)/fuzz/fuzz_loader: tests/fuzz/fuzz_loader.c $(FUZZ_LOADER_SRCS) $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  FUZZ-CC $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(WARN) -o $@ $< $(FUZZ_LOADER_SRCS) -llz4 -lz -llzma -lzstd -lbz2

# grant_table_op against the unit tests' fake domain. The hypervisor
# library is instrumented whole and linked as an archive, so the target
# takes whatever grant_table.c comes to need.
FUZZ_HV_OBJS := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(filter %.c,$(HV_SRCS)))
FUZZ_HV_LIB  := $(BUILD)/fuzz/libpvisor-fuzz.a

$(BUILD)/fuzz/obj/%.o: %.c $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  FUZZ-CC $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Wno-gnu-variable-sized-type-not-at-end -MMD -MP -c $< -o $@

$(FUZZ_HV_LIB): $(FUZZ_HV_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/fuzz_gnttab: tests/fuzz/fuzz_gnttab.c tests/unit/gnt_fixture.h \
                          tests/unit/fake_mem.h $(FUZZ_HV_LIB) $(AUTOCONF)
	$(Q)mkdir -p $(dir $@)
	$(Q)echo "  FUZZ-CC $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(WARN) -Itests/unit -o $@ $< $(FUZZ_HV_LIB) $(LDLIBS)

-include $(FUZZ_HV_OBJS:.o=.d)

fuzz: $(FUZZ_BINS)
	$(Q)sh tests/fuzz/run.sh $(FUZZ_TIME) $(BUILD) $(FUZZERS)

check-fuzz-smoke: $(FUZZ_BINS)
	$(Q)sh tests/fuzz/run.sh $(FUZZ_SMOKE) $(BUILD) $(FUZZERS)

.PHONY: fuzz
